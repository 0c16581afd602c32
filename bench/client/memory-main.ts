/**
 * The process whose memory the client scenario reads: it loads the client named by the first
 * argument, opens and closes one connection to the Socket.IO server on the port given second (so
 * the code and module state every client shares exist before the first reading), then answers
 * `memory` (after forced collections: it runs with --expose-gc) and `connect` (opens that many
 * clients over WebSocket and keeps them idle: they only answer the server's heartbeats).
 */
import { announce, serveRequests } from '../lib/child-ipc.js';
import { collectedMemory } from '../lib/collected-memory.js';
import { connectClients, type LoadSocket } from '../socketio/client-loads.js';
import { loadClient } from './clients.js';
import type { ClientMemoryRequest } from './protocol.js';

const client = await loadClient(process.argv[2] ?? '');
const port = Number(process.argv[3]);
const [warmUp] = await connectClients(port, 1, 'websocket', client);
warmUp!.close();

/** Held until the process is killed: the objects being measured. */
const idle: LoadSocket[] = [];

serveRequests<ClientMemoryRequest>(async (request) => {
  switch (request.type) {
    case 'memory':
      return collectedMemory(request.settle);
    case 'connect':
      idle.push(...(await connectClients(port, request.connections, 'websocket', client)));
      return idle.length;
  }
});
announce({ type: 'ready' });
