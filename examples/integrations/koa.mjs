// Koa 3, a Socket.IO-compatible realtime server and plain WebSockets, all on one port.
//
//   npm install switchboard koa
//   node koa.mjs       # PORT=3000 and HOST=127.0.0.1 unless set
//
// GET /health is Koa's; Socket.IO clients connect to /socket.io/ (the default path) and
// WebSocket clients to ws://127.0.0.1:3000/ws.
import { createServer } from 'node:http';
import Koa from 'koa';
import { Server } from 'switchboard/server';
import { WebSocketServer } from 'switchboard/ws';

const app = new Koa();
app.use(async (ctx, next) => {
  if (ctx.method === 'GET' && ctx.path === '/health') ctx.body = { ok: true };
  else await next();
});

// app.listen() would create the HTTP server out of reach; create it here to share it.
const server = createServer(app.callback());

const io = new Server(server);
io.on('connection', (socket) => {
  socket.on('hello', (name, ack) => ack(`hello, ${name}`));
});

const wss = new WebSocketServer({ server, path: '/ws' });
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});

server.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1', () => {
  console.log(`listening on port ${server.address().port}`);
});

// The realtime servers close first, so their clients get a proper goodbye; io.close() then
// closes the HTTP server.
function shutdown() {
  wss.close(() => io.close());
}
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
