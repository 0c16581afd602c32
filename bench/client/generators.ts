import { BenchChild } from '../lib/children.js';
import { GENERATOR_CORE } from '../lib/context.js';
import type { Implementation } from '../lib/implementations.js';
import type { Driver } from '../socketio/protocol.js';
import type { LoadImplementation } from './implementations.js';

/**
 * Starts `script` with the client's id (then `args`) as the first argument, on the generator core,
 * and waits for it to be ready; `role` names it in errors. A process that fails to start is killed.
 */
export async function startClientProcess(
  implementation: Implementation,
  role: string,
  script: string,
  args: readonly string[] = [],
  nodeOptions: readonly string[] = [],
): Promise<BenchChild> {
  const child = new BenchChild({
    name: `${implementation.label} ${role}`,
    script,
    args: [implementation.id, ...args],
    core: GENERATOR_CORE,
    env: implementation.env,
    nodeOptions,
  });
  try {
    await child.ready;
    return child;
  } catch (error) {
    await child.kill();
    throw error;
  }
}

/** The generator script of each driver: a client's (which loads only the client it is named), or raw frames. */
const GENERATOR_SCRIPTS: Readonly<Record<Driver, string>> = {
  client: 'bench/client/generator-main.ts',
  raw: 'bench/socketio/generator-main.ts',
};

/** One long-lived load generator per implementation, started on first use and again if it died. */
export class ClientGenerators {
  private readonly children = new Map<string, BenchChild>();

  async get(implementation: LoadImplementation): Promise<BenchChild> {
    const running = this.children.get(implementation.id);
    if (running?.alive) return running;
    const script = GENERATOR_SCRIPTS[implementation.driver];
    const started = await startClientProcess(implementation, 'generator', script);
    this.children.set(implementation.id, started);
    return started;
  }

  async close(): Promise<void> {
    await Promise.all([...this.children.values()].map((child) => child.kill()));
    this.children.clear();
  }
}
