// HTTPS, a Socket.IO-compatible realtime server and secure WebSockets (wss://), all on one port.
//
//   npm install switchboard
//   TLS_KEY=key.pem TLS_CERT=cert.pem node tls.mjs       # PORT=3000 and HOST=127.0.0.1 unless set
//
// A certificate for trying it on one machine (clients must then trust cert.pem, see docs/integrations.md):
//   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
//     -keyout key.pem -out cert.pem -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { Server } from 'switchboard/server';
import { WebSocketServer } from 'switchboard/ws';

const tls = {
  key: readFileSync(process.env.TLS_KEY ?? 'key.pem'),
  cert: readFileSync(process.env.TLS_CERT ?? 'cert.pem'),
};

const server = createServer(tls, (req, res) => {
  if (req.method === 'GET' && req.url === '/health') {
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ ok: true }));
  } else {
    res.writeHead(404).end();
  }
});

// Both take an https.Server exactly as they take an http.Server: TLS is over before they see a byte.
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

function shutdown() {
  wss.close(() => io.close());
}
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
