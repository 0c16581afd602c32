import { connect, type Socket } from 'node:net';
import type { HandshakeLoad } from '../lib/protocol.js';
import { EXPECTED_ACCEPT, upgradeRequest } from './client-frames.js';
import { abort } from './connect.js';
import { RunningLoad } from './running-load.js';

/**
 * Handshake traffic: `concurrency` loops, each connecting, sending the upgrade request, checking the
 * 101 response, then resetting the connection and starting over. `count` is completed handshakes.
 */
export class HandshakeRun extends RunningLoad {
  private readonly live = new Set<Socket>();
  private attempts = 0;
  private readonly request: Buffer;

  private constructor(private readonly load: HandshakeLoad) {
    super();
    this.request = upgradeRequest(load.port, '/echo');
  }

  static start(load: HandshakeLoad): HandshakeRun {
    if (load.localAddresses.length === 0) throw new RangeError('handshake load needs source addresses');
    const run = new HandshakeRun(load);
    for (let i = 0; i < load.concurrency; i++) run.attempt();
    return run;
  }

  private attempt(): void {
    const localAddress = this.load.localAddresses[this.attempts++ % this.load.localAddresses.length]!;
    const socket = connect({ host: '127.0.0.1', port: this.load.port, localAddress, noDelay: true });
    this.live.add(socket);
    let head = '';
    let upgraded = false;
    socket.once('connect', () => socket.write(this.request));
    socket.on('data', (chunk: Buffer) => {
      this.wireBytes += chunk.length;
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      if (head.startsWith('HTTP/1.1 101') && head.includes(EXPECTED_ACCEPT)) {
        upgraded = true;
        this.count++;
      }
      abort(socket);
    });
    socket.on('error', () => {});
    // Every attempt ends here exactly once, whatever happened, and starts the next one.
    socket.once('close', () => {
      this.live.delete(socket);
      if (!upgraded) this.errors++;
      if (this.running) setImmediate(() => this.running && this.attempt());
    });
  }

  protected close(): void {
    for (const socket of this.live) abort(socket);
    this.live.clear();
  }
}
