/**
 * The load generator process: raw TCP sockets, the WebSocket handshake done by hand, pre-encoded
 * pre-masked frames, and echoes counted by walking frame headers. The same code drives every
 * implementation, so differences in the results are the servers' own.
 */
import type { Load } from '../lib/protocol.js';
import { BroadcastRun } from './broadcast-load.js';
import { CompressedEchoRun } from './compressed-echo-load.js';
import { EchoRun } from './echo-load.js';
import { HandshakeRun } from './handshake-load.js';
import { IdleRun } from './idle-load.js';
import type { RunningLoad } from './running-load.js';
import { serveLoads } from './serve-loads.js';

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

serveLoads(startLoad);
