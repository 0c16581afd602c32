// Mutual TLS: only clients holding a certificate signed by CLIENT_CA get through the TLS
// handshake, and of those only the names (certificate subject CN) in ALLOWED_CLIENTS may connect,
// to Socket.IO or to the WebSocket endpoint. (A self-signed client certificate is its own CA:
// CLIENT_CA may hold several, one after the other.)
//
//   npm install switchboard
//   TLS_KEY=key.pem TLS_CERT=cert.pem CLIENT_CA=clients.pem ALLOWED_CLIENTS=ada,grace node tls-client-certificates.mjs
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { Server } from 'switchboard/server';
import { WebSocketServer } from 'switchboard/ws';

const server = createServer(
  {
    key: readFileSync(process.env.TLS_KEY ?? 'key.pem'),
    cert: readFileSync(process.env.TLS_CERT ?? 'cert.pem'),
    ca: readFileSync(process.env.CLIENT_CA ?? 'clients.pem'),
    // Ask every client for a certificate and end the TLS handshake of any client whose
    // certificate is missing or not signed by `ca`: no request of theirs ever reaches the app.
    requestCert: true,
    rejectUnauthorized: true,
  },
  (req, res) => res.writeHead(404).end(),
);

const allowed = new Set((process.env.ALLOWED_CLIENTS ?? '').split(',').filter(Boolean));

/** The verified client certificate's subject name, if it is one of the allowed ones. */
function allowedClient(tlsSocket) {
  const name = tlsSocket.getPeerCertificate().subject?.CN;
  return allowed.has(name) ? name : undefined;
}

// Socket.IO: allowRequest sees each handshake's request while its TLS connection is open (later
// requests of a long-polling session may come on other connections, or after it has closed);
// what it sets on the request is kept in socket.request.
const io = new Server(server, {
  allowRequest: (req, callback) => {
    const name = allowedClient(req.socket);
    req.clientName = name;
    callback(name === undefined ? 'client not allowed' : null, name !== undefined);
  },
});
io.on('connection', (socket) => {
  socket.on('hello', (name, ack) => ack(`hello, ${name}`));
  socket.on('whoami', (ack) => ack(socket.request.clientName));
});

// WebSocket: the authenticate hook answers the upgrade request with 403 before any WebSocket
// exists; what it sets on the request reaches the 'connection' listener.
const wss = new WebSocketServer({
  server,
  path: '/ws',
  authenticate: (request) => {
    const name = allowedClient(request.socket);
    if (name === undefined) return { status: 403, message: 'Client not allowed' };
    request.clientName = name;
    return true;
  },
});
wss.on('connection', (ws, request) => {
  ws.send(`welcome, ${request.clientName}`);
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
