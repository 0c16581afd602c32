/**
 * The server process: starts one implementation (named by the first argument, with `deflate` as a
 * second to accept permessage-deflate) on 127.0.0.1 and
 * answers the runner's questions about its own CPU time, memory and open connections. The runner
 * starts it with --expose-gc so memory is read after a full collection.
 */
import { announce, cpuNow, serveRequests } from '../lib/child-ipc.js';
import { collectedMemory } from '../lib/collected-memory.js';
import { ImplId, type ServerRequest } from '../lib/protocol.js';
import { DEFLATE_SETTINGS, type StartBenchServer } from './bench-server.js';

const MAX_PAYLOAD = 100 * 1024 * 1024;

async function loadImplementation(id: string): Promise<StartBenchServer> {
  switch (id) {
    case ImplId.Switchboard:
      return (await import('./switchboard-server.js')).startSwitchboardServer;
    case ImplId.Ws:
    case ImplId.WsNative:
      return (await import('./ws-server.js')).startWsServer;
    case ImplId.RawTcp:
      return (await import('./raw-tcp-server.js')).startRawTcpServer;
    default:
      throw new Error(`unknown implementation ${id}`);
  }
}

const start = await loadImplementation(process.argv[2] ?? '');
// A second argument `deflate` turns permessage-deflate on, with the settings every implementation shares.
const server = await start({
  maxPayload: MAX_PAYLOAD,
  deflate: process.argv[3] === 'deflate' ? DEFLATE_SETTINGS : undefined,
});
serveRequests<ServerRequest>((request) => {
  switch (request.type) {
    case 'cpu':
      return cpuNow();
    case 'memory':
      return collectedMemory(request.settle);
    case 'connections':
      return server.connections();
  }
});
announce({ type: 'ready', port: server.port, details: server.details });
