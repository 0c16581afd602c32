/**
 * One node of a cluster benchmark: starts one implementation's Socket.IO server (first argument)
 * with its Redis adapter on the Redis at the second argument, channels prefixed by the third, and
 * answers the runner's questions about its CPU time and connected clients.
 */
import { announce, cpuNow, serveRequests } from '../lib/child-ipc.js';
import type { SocketIoServerRequest } from '../socketio/protocol.js';
import { startRedisNode } from './servers.js';

const [id = '', url = '', key = ''] = process.argv.slice(2);
const server = await startRedisNode(id, url, key);
serveRequests<SocketIoServerRequest>((request) => {
  switch (request.type) {
    case 'cpu':
      return cpuNow();
    case 'connections':
      return server.connections();
    case 'memory':
    case 'heap-snapshot':
      throw new Error(`a cluster node does not answer ${request.type}`);
    case 'exit':
      setImmediate(() => process.exit(0));
      return null;
  }
});
announce({ type: 'ready', port: server.port, details: server.details });
