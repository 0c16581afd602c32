/**
 * One process of the micro-benchmarks: frames per second through our sans-I/O parser and encoder
 * and through ws's Receiver and Sender, on the same bytes. Run by micro/run.ts, once with ws's
 * native helpers and once without (the environment decides when ws loads). Prints JSON lines.
 */
import {
  FrameParser,
  Opcode,
  encodeFrame,
  frameHeaderSize,
  writeFrameHeader,
  type FrameSink,
} from '../../src/protocol/index.js';
import { Opcode as WireOpcode, asciiPayload, clientFrameSize, writeClientFrame } from '../load/client-frames.js';
import { median } from '../lib/results.js';
import { loadWsInternals } from './ws-internals.js';

const { Receiver, Sender } = loadWsInternals();
const budgetMs = Number(process.env['MICRO_BUDGET_MS'] ?? 600);
const SAMPLES = 3;

/** Runs `op` (which handles `framesPerOp` frames) repeatedly for the budget; returns frames/s. */
function measure(op: () => void, framesPerOp: number): number {
  const warmEnd = performance.now() + budgetMs / 2;
  while (performance.now() < warmEnd) op();
  const rates: number[] = [];
  for (let s = 0; s < SAMPLES; s++) {
    let ops = 0;
    const start = performance.now();
    const end = start + budgetMs;
    let now = start;
    while (now < end) {
      for (let i = 0; i < 8; i++) op();
      ops += 8;
      now = performance.now();
    }
    rates.push((ops * framesPerOp) / ((now - start) / 1000));
  }
  return median(rates);
}

/** About 1 MiB of identical masked binary frames, cut into 64 KiB reads as a socket would deliver them. */
function clientStream(size: number): { chunks: Buffer[]; frames: number } {
  const frames = Math.max(16, Math.floor((1024 * 1024) / clientFrameSize(size)));
  const payload = asciiPayload(size);
  const all = Buffer.allocUnsafe(frames * clientFrameSize(size));
  let offset = 0;
  for (let i = 0; i < frames; i++) offset = writeClientFrame(all, offset, WireOpcode.Binary, payload);
  const chunks: Buffer[] = [];
  for (let at = 0; at < all.length; at += 65536) chunks.push(all.subarray(at, Math.min(all.length, at + 65536)));
  return { chunks, frames };
}

function report(kind: string, size: number, implementation: string, framesPerSecond: number): void {
  console.log(JSON.stringify({ kind, size, implementation, framesPerSecond }));
}

function parserCase(size: number, includeOurs: boolean): void {
  const { chunks, frames } = clientStream(size);
  if (includeOurs) {
    let received = 0;
    const sink: FrameSink = {
      onMessage: () => received++,
      onPing: () => {},
      onPong: () => {},
      onClose: () => {},
      onError: (error) => {
        throw error;
      },
    };
    const parser = new FrameParser(sink, { readsFrom: 'client', allocate: (n) => Buffer.allocUnsafe(n) });
    const rate = measure(() => {
      for (const chunk of chunks) parser.receive(chunk);
    }, frames);
    if (received % frames !== 0) throw new Error(`our parser lost frames: ${received} is not a multiple of ${frames}`);
    report('parse', size, 'switchboard', rate);
  }
  let received = 0;
  const receiver = new Receiver({ isServer: true, binaryType: 'nodebuffer', maxPayload: 0 });
  receiver.on('message', () => received++);
  receiver.on('error', (error) => {
    throw error;
  });
  const rate = measure(() => {
    for (const chunk of chunks) receiver.write(chunk);
  }, frames);
  if (received % frames !== 0) throw new Error(`ws Receiver lost frames: ${received} is not a multiple of ${frames}`);
  report('parse', size, 'ws', rate);
}

function serializeCase(size: number, masked: boolean, includeOurs: boolean): void {
  const payload = asciiPayload(size);
  const kind = masked ? 'serialize-masked' : 'serialize';
  const key = Buffer.from([1, 2, 3, 4]);
  const batch = 64;
  if (includeOurs) {
    let sink = 0;
    // Unmasked server frames: the header alone, the payload written after it untouched (as ws does).
    // Masked client frames: a new buffer holding the header and the masked copy, the caller's bytes unchanged.
    const op = masked
      ? () => {
          for (let i = 0; i < batch; i++)
            sink += encodeFrame(Opcode.Binary, payload, { maskKey: key }, Buffer.allocUnsafe).length;
        }
      : () => {
          for (let i = 0; i < batch; i++) {
            const header = Buffer.allocUnsafe(frameHeaderSize(size, false));
            sink += writeFrameHeader(header, 0, Opcode.Binary, size);
          }
        };
    report(kind, size, 'switchboard', measure(op, batch));
    if (sink === 0) throw new Error('nothing encoded');
  }
  let sink = 0;
  const options = { fin: true, opcode: 2, mask: masked, readOnly: true, rsv1: false, maskBuffer: key };
  report(
    kind,
    size,
    'ws',
    measure(() => {
      for (let i = 0; i < batch; i++) sink += Sender.frame(payload, options).length;
    }, batch),
  );
  if (sink === 0) throw new Error('nothing encoded');
}

// Ours does not depend on ws's helpers, so it is measured once, in the process without them.
const includeOurs = process.env['WS_NO_BUFFER_UTIL'] === '1';
for (const size of [32, 64 * 1024]) parserCase(size, includeOurs);
for (const size of [32, 64 * 1024]) {
  serializeCase(size, false, includeOurs);
  serializeCase(size, true, includeOurs);
}
