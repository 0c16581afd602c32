// Socket.IO and WebSockets behind a reverse proxy that terminates TLS (nginx, see
// docs/integrations.md): the server speaks plain HTTP on a loopback port only the proxy reaches,
// and takes each client's address from the X-Forwarded-For header the proxy appends to.
//
//   npm install switchboard
//   node behind-proxy.mjs       # PORT=3000 and HOST=127.0.0.1 unless set
import { createServer } from 'node:http';
import { Server } from 'switchboard/server';
import { WebSocketServer } from 'switchboard/ws';

/**
 * The client's address: the last X-Forwarded-For entry, the one the proxy appended (entries
 * before it are whatever the client wrote), or the TCP peer's when there is none. Trust it only
 * when no client can reach this server but through the proxy.
 */
function clientAddress(headers, peerAddress) {
  const forwarded = headers['x-forwarded-for'];
  if (forwarded === undefined) return peerAddress;
  return forwarded.split(',').at(-1).trim();
}

const server = createServer((req, res) => res.writeHead(404).end());

const io = new Server(server);
io.on('connection', (socket) => {
  const address = clientAddress(socket.handshake.headers, socket.handshake.address);
  socket.on('hello', (name, ack) => ack(`hello, ${name}`));
  socket.on('whoami', (ack) => ack(address));
});

const wss = new WebSocketServer({ server, path: '/ws' });
wss.on('connection', (ws, request) => {
  ws.send(clientAddress(request.headers, request.socket.remoteAddress));
});

server.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1', () => {
  console.log(`listening on port ${server.address().port}`);
});

function shutdown() {
  wss.close(() => io.close());
}
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
