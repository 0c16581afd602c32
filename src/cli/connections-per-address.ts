import type { Duplex } from 'node:stream';
import { checkInteger } from '../protocol/index.js';

/**
 * Counts the connections each client address holds, from the upgrade request until the socket
 * closes (handshakes in progress included), so that one address cannot take every slot there is.
 *
 * @example
 * const perAddress = new ConnectionsPerAddress(16);
 * httpServer.on('upgrade', (request, socket, head) => {
 *   if (!perAddress.admit(clientAddress(request, false), socket)) return void socket.destroy();
 *   wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
 * });
 */
export class ConnectionsPerAddress {
  private readonly counts = new Map<string, number>();

  /** @param max connections one address may hold at once; a positive integer. */
  constructor(readonly max: number) {
    checkInteger('maxConnectionsPerAddress', max, 1);
  }

  /** Counts `socket` against `address` until it closes; `false` (and nothing counted) when `address` is at `max`. */
  admit(address: string, socket: Duplex): boolean {
    const count = this.counts.get(address) ?? 0;
    if (count >= this.max) return false;
    this.counts.set(address, count + 1);
    socket.once('close', () => this.release(address));
    return true;
  }

  /** The connections `address` holds now. */
  count(address: string): number {
    return this.counts.get(address) ?? 0;
  }

  private release(address: string): void {
    const count = this.count(address) - 1;
    // An address whose connections are all gone costs nothing.
    if (count === 0) this.counts.delete(address);
    else this.counts.set(address, count);
  }
}
