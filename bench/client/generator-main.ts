/**
 * The client load generator process: the client named by the first argument (see clients.ts)
 * drives emit or emit-with-ack loads against a Socket.IO server, exactly as the official client
 * does in the Socket.IO scenarios (../socketio/client-loads.ts). Its own CPU time is the client's
 * cost per event.
 */
import type { RunningLoad } from '../load/running-load.js';
import { serveLoads } from '../load/serve-loads.js';
import { ClientAckRun, ClientEmitRun } from '../socketio/client-loads.js';
import type { AckLoad, EmitLoad } from '../socketio/protocol.js';
import { loadClient } from './clients.js';

const client = await loadClient(process.argv[2] ?? '');

function startLoad(load: EmitLoad | AckLoad): Promise<RunningLoad> {
  return load.kind === 'emit' ? ClientEmitRun.start(load, client) : ClientAckRun.start(load, client);
}

serveLoads(startLoad);
