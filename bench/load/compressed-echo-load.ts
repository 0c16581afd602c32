import type { Socket } from 'node:net';
import { FrameCounter } from '../lib/frame-counter.js';
import type { CompressedEchoLoad } from '../lib/protocol.js';
import { chatMessages, compressInSequence } from './chat-messages.js';
import { Opcode, clientFrameSize, writeClientFrame } from './client-frames.js';
import { abort, openMany, openWebSocket } from './connect.js';
import { RunningLoad } from './running-load.js';

/** RSV1 marks a compressed message (RFC 7692 §6). */
const RSV1 = 0x40;

/**
 * Compressed echo: every connection negotiates permessage-deflate with context takeover both ways
 * and sends a fixed loop of chat-like JSON messages, compressed once up front through one DEFLATE
 * stream, keeping `window` in flight. Echoes are counted, not inflated; the bytes read from the
 * sockets are what the servers' compression put on the wire.
 */
export class CompressedEchoRun extends RunningLoad {
  private sockets: Socket[] = [];

  static async start(load: CompressedEchoLoad): Promise<CompressedEchoRun> {
    const messages = chatMessages(load.messages);
    if (load.window > messages.length) throw new RangeError('the window must not exceed the message loop');
    const compressed = await compressInSequence(messages);
    // The loop twice over, so any run of up to `messages` consecutive frames is one slice.
    const sizes = compressed.map((body) => clientFrameSize(body.length));
    const loopSize = sizes.reduce((a, b) => a + b, 0);
    const frames = Buffer.allocUnsafe(loopSize * 2);
    const offsets = new Float64Array(messages.length * 2 + 1);
    const textBytes = new Float64Array(messages.length * 2 + 1);
    let offset = 0;
    for (let i = 0; i < messages.length * 2; i++) {
      offsets[i] = offset;
      textBytes[i + 1] = textBytes[i]! + Buffer.byteLength(messages[i % messages.length]!);
      offset = writeClientFrame(frames, offset, Opcode.Text, compressed[i % messages.length]!, RSV1);
    }
    offsets[messages.length * 2] = offset;

    const run = new CompressedEchoRun();
    const opened = await openMany(load.connections, 64, () =>
      openWebSocket({ port: load.port, path: '/echo', extensions: 'permessage-deflate', timeoutMs: 10_000 }),
    );
    const agreed = opened[0]?.extensions ?? '';
    for (const { socket } of opened) run.sockets.push(socket);
    // Our loop needs the server to keep its inflater's history and accept a 15-bit window.
    if (
      !/permessage-deflate/i.test(agreed) ||
      /client_no_context_takeover|client_max_window_bits=(?!15\b)/i.test(agreed)
    ) {
      run.close();
      throw new Error(`the server did not agree to permessage-deflate with context takeover: "${agreed}"`);
    }
    run.details = `negotiated: ${agreed}`;
    const loop = messages.length;
    for (const { socket, head } of opened) {
      const counter = new FrameCounter();
      let sent = 0;
      let echoed = 0;
      const send = (n: number): void => {
        const from = sent % loop;
        const chunk = frames.subarray(offsets[from]!, offsets[from + n]!);
        socket.write(chunk);
        sent += n;
      };
      const onData = (chunk: Buffer): void => {
        run.wireBytes += chunk.length;
        const n = counter.push(chunk);
        if (n === 0) return;
        const from = echoed % loop;
        run.bytes += textBytes[from + n]! - textBytes[from]!;
        echoed += n;
        run.count += n;
        if (run.running) send(n);
      };
      socket.on('data', onData);
      socket.on('error', () => run.errors++);
      if (head.length > 0) onData(head);
      send(load.window);
    }
    return run;
  }

  protected close(): void {
    for (const socket of this.sockets) abort(socket);
    this.sockets = [];
  }
}
