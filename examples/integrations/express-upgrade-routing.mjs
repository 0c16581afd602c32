// Express 5 and a Socket.IO-compatible realtime server on one port, with two WebSocket endpoints
// routed by path in the HTTP server's own 'upgrade' listener (`noServer` mode), as with `ws`.
//
//   npm install switchboard express
//   node express-upgrade-routing.mjs       # PORT=3000 and HOST=127.0.0.1 unless set
//
// ws://127.0.0.1:3000/echo answers each message; ws://127.0.0.1:3000/clock sends the time every second.
import { createServer } from 'node:http';
import express from 'express';
import { Server } from 'switchboard/server';
import { WebSocketServer } from 'switchboard/ws';

const app = express();
app.get('/health', (req, res) => {
  res.json({ ok: true });
});

const server = createServer(app);

const io = new Server(server);
io.on('connection', (socket) => {
  socket.on('hello', (name, ack) => ack(`hello, ${name}`));
});

const echo = new WebSocketServer({ noServer: true });
echo.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});

const clock = new WebSocketServer({ noServer: true });
clock.on('connection', (ws) => {
  const tick = () => ws.send(new Date().toISOString());
  tick();
  const timer = setInterval(tick, 1000);
  ws.on('close', () => clearInterval(timer));
});

const routes = new Map([
  ['/echo', echo],
  ['/clock', clock],
]);

server.on('upgrade', (request, socket, head) => {
  const { pathname } = new URL(request.url, 'http://localhost');
  const wss = routes.get(pathname);
  if (wss !== undefined) {
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  } else if (!pathname.startsWith('/socket.io/')) {
    // Nobody answers this path (the realtime server has its own 'upgrade' listener for /socket.io/).
    socket.destroy();
  }
});

server.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1', () => {
  console.log(`listening on port ${server.address().port}`);
});

// WebSocket servers first (each client gets a close frame with 1001), then the realtime server,
// whose close() also closes the HTTP server.
function shutdown() {
  const closing = [...routes.values()].map((wss) => new Promise((resolve) => wss.close(resolve)));
  Promise.all(closing).then(() => io.close());
}
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
