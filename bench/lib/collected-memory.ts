import { getHeapSpaceStatistics } from 'node:v8';
import type { MemorySample } from './protocol.js';

/** Size of V8's young generation (new space), in bytes. */
function youngGenerationSize(): number {
  return getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0;
}

/** The young generation as the process started, before any load made V8 grow it. */
const YOUNG_GENERATION_AT_START = youngGenerationSize();

/** How long a settling measurement waits at most for V8 to shrink its young generation. */
const SETTLE_LIMIT_MS = 30_000;

const nextTurn = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Reads this process's memory after full collections. Server processes run with --expose-gc so
 * the numbers count live data, not garbage waiting to be collected.
 *
 * With `settle`, the reading waits until the process is as an idle server is some seconds after a
 * burst of connections: while thousands of connection objects survive their first collections,
 * V8 grows its young generation (up to 32 MiB here), and it shrinks it back only once allocation
 * has been low for a while. That memory is the same for every server, belongs to no connection,
 * and would otherwise dominate a per-connection figure; collecting every 250 ms until the young
 * generation is back to its start-up size (then a little longer, so the freed pages go back to the
 * operating system) removes it.
 */
export async function collectedMemory(settle = false): Promise<MemorySample> {
  const gc = globalThis.gc;
  if (gc === undefined) throw new Error('the server must run with --expose-gc');
  if (settle) {
    const deadline = Date.now() + SETTLE_LIMIT_MS;
    while (youngGenerationSize() > YOUNG_GENERATION_AT_START && Date.now() < deadline) {
      gc();
      await nextTurn(250);
    }
    for (let i = 0; i < 4; i++) {
      gc();
      await nextTurn(250);
    }
  }
  // Several passes with turns of the event loop between them, so weak callbacks and finalizers run.
  for (let i = 0; i < 4; i++) {
    gc();
    await nextTurn();
  }
  const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
  return { rss, heapUsed, heapTotal, external, arrayBuffers };
}
