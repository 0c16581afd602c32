// A round-robin load balancer for the cluster example: each HTTP request, and each WebSocket
// upgrade, goes to the next node in turn, with no sticky sessions. A node that refuses the
// connection (stopped, restarting) is skipped for the next one. It appends the client's address to
// X-Forwarded-For, which the nodes read with --trust-proxy. A demo, not a production proxy: use
// nginx or HAProxy (docs/redis.md has their configuration).
import { createServer, request } from 'node:http';
import { connect } from 'node:net';

/**
 * Starts the proxy on `port` (127.0.0.1) in front of the nodes listening on `nodePorts`
 * (127.0.0.1); resolves with a `close()` once it listens.
 */
export async function startRoundRobinProxy(port, nodePorts) {
  let turn = 0;
  const sockets = new Set();
  const next = () => turn++ % nodePorts.length;

  const server = createServer((req, res) => {
    // The body is kept so that a node refusing the connection can be skipped for the next one.
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => pass(Buffer.concat(chunks), next(), 0));

    function pass(body, node, tries) {
      const upstream = request({
        host: '127.0.0.1',
        port: nodePorts[node],
        method: req.method,
        path: req.url,
        headers: forwardedHeaders(req),
      });
      upstream.on('response', (answer) => {
        res.writeHead(answer.statusCode, answer.headers);
        answer.pipe(res);
      });
      // A page that gave up a held poll: the node's request ends too.
      const abandon = () => upstream.destroy();
      res.on('close', abandon);
      upstream.on('error', (error) => {
        res.off('close', abandon);
        if (error.code === 'ECONNREFUSED' && tries < nodePorts.length - 1) {
          pass(body, (node + 1) % nodePorts.length, tries + 1);
          return;
        }
        if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain' });
        res.end('No node of the cluster answered\n');
      });
      upstream.end(body);
    }
  });

  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    const upstream = connect(nodePorts[next()], '127.0.0.1', () => {
      // The request head as it came, with the forwarded address; then both ways, byte for byte.
      const headers = forwardedHeaders(req);
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      upstream.write(head);
      socket.pipe(upstream).pipe(socket);
    });
    track(upstream);
    upstream.on('error', () => socket.destroy());
    upstream.on('close', () => socket.destroy());
    socket.on('close', () => upstream.destroy());
  });

  server.on('connection', track);
  function track(socket) {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  }

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The request's headers with the client's address appended to X-Forwarded-For. */
function forwardedHeaders(req) {
  const before = req.headers['x-forwarded-for'];
  const address = req.socket.remoteAddress ?? '';
  return { ...req.headers, 'x-forwarded-for': before === undefined ? address : `${before}, ${address}` };
}
