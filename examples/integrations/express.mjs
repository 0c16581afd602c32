// Express 5, a Socket.IO-compatible realtime server and plain WebSockets, all on one port.
//
//   npm install switchboard express
//   node express.mjs       # PORT=3000 and HOST=127.0.0.1 unless set
//
// GET /health is Express's; Socket.IO clients connect to /socket.io/ (the default path) and
// WebSocket clients to ws://127.0.0.1:3000/ws.
import { createServer } from 'node:http';
import express from 'express';
import { Server } from 'switchboard/server';
import { WebSocketServer } from 'switchboard/ws';

const app = express();
app.get('/health', (req, res) => {
  res.json({ ok: true });
});

const server = createServer(app);

// Requests and upgrades under /socket.io/ go to the realtime server; every other request to Express.
const io = new Server(server);
io.on('connection', (socket) => {
  socket.on('hello', (name, ack) => ack(`hello, ${name}`));
});

// Upgrades for /ws only; the realtime server's own path stays its own.
const wss = new WebSocketServer({ server, path: '/ws' });
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});

server.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1', () => {
  console.log(`listening on port ${server.address().port}`);
});

// The realtime servers close first, so their clients get a proper goodbye (a close frame with
// 1001, a Socket.IO disconnect); io.close() then closes the HTTP server.
function shutdown() {
  wss.close(() => io.close());
}
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
