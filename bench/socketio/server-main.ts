/**
 * The Socket.IO server process: starts one implementation (named by the first argument) on
 * 127.0.0.1, accepting the transports named by the second (`websocket`, the default, or
 * `polling,websocket`), and answers the runner's questions about its CPU time, memory and
 * connected clients. The runner starts it with --expose-gc so memory is read after a full
 * collection; `heap-snapshot` writes one (for bench/socketio/profile.ts), and `exit` ends it
 * cleanly, which lets `--cpu-prof` write its profile.
 */
import { writeHeapSnapshot } from 'node:v8';
import { announce, cpuNow, serveRequests } from '../lib/child-ipc.js';
import { collectedMemory } from '../lib/collected-memory.js';
import type { SocketIoServerRequest, TransportSet } from './protocol.js';
import { startSocketIoServer } from './servers.js';

function transportSet(value: string | undefined): TransportSet {
  if (value === undefined || value === 'websocket') return 'websocket';
  if (value === 'polling,websocket') return value;
  throw new Error(`unknown transports ${value}`);
}

const server = await startSocketIoServer(process.argv[2] ?? '', transportSet(process.argv[3]));
serveRequests<SocketIoServerRequest>((request) => {
  switch (request.type) {
    case 'cpu':
      return cpuNow();
    case 'memory':
      return collectedMemory(request.settle);
    case 'connections':
      return server.connections();
    case 'heap-snapshot':
      return collectedMemory().then(() => writeHeapSnapshot(request.path));
    case 'exit':
      // After the reply has gone out.
      setImmediate(() => process.exit(0));
      return null;
  }
});
announce({ type: 'ready', port: server.port, details: server.details });
