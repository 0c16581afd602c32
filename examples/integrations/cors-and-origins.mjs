// A realtime server for pages served from another origin: CORS for Socket.IO's long-polling, and
// an Origin check on every handshake, since browsers apply no CORS to WebSockets.
//
//   npm install switchboard
//   ALLOWED_ORIGINS=https://app.example.com node cors-and-origins.mjs
//
// Socket.IO clients connect to /socket.io/, WebSocket clients to ws://127.0.0.1:3000/ws; both only
// from the pages of the allowed origins.
import { createServer } from 'node:http';
import { Server } from 'switchboard/server';
import { WebSocketServer, allowOrigins } from 'switchboard/ws';

const allowed = new Set((process.env.ALLOWED_ORIGINS ?? 'https://app.example.com').split(','));

const server = createServer((req, res) => {
  res.writeHead(404).end();
});

const io = new Server(server, {
  // Which pages may read the polling responses. The function may answer later (after a lookup);
  // an error, an exception or a return value instead of a callback refuses the request.
  cors: {
    origin: (origin, callback) => callback(null, allowed.has(origin)),
    credentials: true,
  },
  // CORS does not stop a page from opening a WebSocket, with the user's cookies: check the Origin
  // of every handshake, polling and WebSocket alike.
  allowRequest: (req, callback) => callback(null, allowed.has(req.headers.origin)),
});
io.on('connection', (socket) => {
  socket.on('hello', (name, ack) => ack(`hello, ${name}`));
});

// The same check for plain WebSockets: 403 for any other origin.
const wss = new WebSocketServer({ server, path: '/ws', authenticate: allowOrigins([...allowed]) });
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});

server.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1', () => {
  console.log(`listening on port ${server.address().port}`);
});

function shutdown() {
  wss.close(() => io.close());
}
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
