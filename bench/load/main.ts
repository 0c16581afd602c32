/**
 * The load generator process: raw TCP sockets, the WebSocket handshake done by hand, pre-encoded
 * pre-masked frames, and echoes counted by walking frame headers. The same code drives every
 * implementation, so differences in the results are the servers' own.
 */
import { announce, serveRequests } from '../lib/child-ipc.js';
import type { GeneratorRequest, Load } from '../lib/protocol.js';
import { BroadcastRun } from './broadcast-load.js';
import { CompressedEchoRun } from './compressed-echo-load.js';
import { EchoRun } from './echo-load.js';
import { HandshakeRun } from './handshake-load.js';
import { IdleRun } from './idle-load.js';
import type { RunningLoad } from './running-load.js';

let current: RunningLoad | undefined;

function startLoad(load: Load): Promise<RunningLoad> | RunningLoad {
  switch (load.kind) {
    case 'echo':
      return EchoRun.start(load);
    case 'compressed-echo':
      return CompressedEchoRun.start(load);
    case 'broadcast':
      return BroadcastRun.start(load);
    case 'idle':
      return IdleRun.start(load);
    case 'handshake':
      return HandshakeRun.start(load);
  }
}

function running(): RunningLoad {
  if (current === undefined) throw new Error('no load is running');
  return current;
}

serveRequests<GeneratorRequest>(async (request) => {
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
