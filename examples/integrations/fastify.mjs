// Fastify 5, a Socket.IO-compatible realtime server and plain WebSockets, all on one port.
//
//   npm install switchboard fastify
//   node fastify.mjs       # PORT=3000 and HOST=127.0.0.1 unless set
//
// GET /health is Fastify's; Socket.IO clients connect to /socket.io/ (the default path) and
// WebSocket clients to ws://127.0.0.1:3000/ws.
import Fastify from 'fastify';
import { Server } from 'switchboard/server';
import { WebSocketServer } from 'switchboard/ws';

const fastify = Fastify();
fastify.get('/health', async () => ({ ok: true }));

// After ready() Fastify's request handler is in place on fastify.server; attach before listen().
await fastify.ready();

const io = new Server(fastify.server);
io.on('connection', (socket) => {
  socket.on('hello', (name, ack) => ack(`hello, ${name}`));
});

const wss = new WebSocketServer({ server: fastify.server, path: '/ws' });
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});

await fastify.listen({ port: Number(process.env.PORT ?? 3000), host: process.env.HOST ?? '127.0.0.1' });
console.log(`listening on port ${fastify.server.address().port}`);

// The realtime servers close first: fastify.close() would wait for every connection to end,
// upgraded ones included. io.close() stops the HTTP server too; fastify.close() then runs the
// application's onClose hooks.
function shutdown() {
  wss.close(() => io.close().then(() => fastify.close()));
}
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
