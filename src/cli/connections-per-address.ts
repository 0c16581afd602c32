import { checkInteger } from '../protocol/index.js';

/** What a counted connection must tell: that it closed (a socket, an Engine.IO session). */
export interface Closable {
  once(event: 'close', listener: () => void): unknown;
}

/**
 * Counts the connections each client address holds, from the upgrade request until the socket
 * closes (handshakes in progress included), or an Engine.IO session from its handshake until it
 * closes, so that one address cannot take every slot there is.
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

  /** Counts `connection` against `address` until it closes; `false` (and nothing counted) when `address` is at `max`. */
  admit(address: string, connection: Closable): boolean {
    const release = this.reserve(address);
    connection.once('close', release ?? (() => undefined));
    return release !== undefined;
  }

  /**
   * Takes a place for `address` now and returns the function that gives it back (once, however
   * often it is called), or `undefined` when `address` is at `max`. For a connection that outlives
   * the request that opened it, such as an Engine.IO session over several HTTP requests.
   */
  reserve(address: string): (() => void) | undefined {
    if (this.count(address) >= this.max) return undefined;
    this.counts.set(address, this.count(address) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.release(address);
    };
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
