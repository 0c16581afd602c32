import type { MemorySample } from './protocol.js';

/**
 * Reads this process's memory after full collections. Server processes run with --expose-gc so
 * the numbers count live data, not garbage waiting to be collected.
 */
export async function collectedMemory(): Promise<MemorySample> {
  const gc = globalThis.gc;
  if (gc === undefined) throw new Error('the server must run with --expose-gc');
  // Several passes with turns of the event loop between them, so weak callbacks and finalizers run.
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
  return { rss, heapUsed, heapTotal, external, arrayBuffers };
}
