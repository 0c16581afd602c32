import { announce, serveRequests } from '../lib/child-ipc.js';
import type { RunningLoad } from './running-load.js';

/** What a generator process is asked over IPC, for loads of type `L`. */
export type LoadRequest<L> =
  | { readonly id: number; readonly type: 'start'; readonly load: L }
  | { readonly id: number; readonly type: 'go' }
  | { readonly id: number; readonly type: 'sample'; readonly resetLatency: boolean }
  | { readonly id: number; readonly type: 'stop' };

/**
 * Runs a generator process: answers the runner's start / go / sample / stop requests, one load at a
 * time, starting each with `startLoad`, then tells the runner it is ready.
 */
export function serveLoads<L>(startLoad: (load: L) => Promise<RunningLoad> | RunningLoad): void {
  let current: RunningLoad | undefined;
  const running = (): RunningLoad => {
    if (current === undefined) throw new Error('no load is running');
    return current;
  };
  serveRequests<LoadRequest<L>>(async (request) => {
    switch (request.type) {
      case 'start': {
        if (current !== undefined) throw new Error('a load is already running');
        current = await startLoad(request.load);
        return current.details;
      }
      case 'go':
        return running().go();
      case 'sample':
        return running().sample(request.resetLatency);
      case 'stop': {
        const result = running().stop();
        current = undefined;
        return result;
      }
    }
  });
  announce({ type: 'ready' });
}
