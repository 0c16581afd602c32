import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { WebSocketServer } from 'ws';
import { BROADCAST_PATH, type StartBenchServer } from './bench-server.js';

/**
 * `ws` used the way its documentation shows: echo with `socket.send(data, { binary })`, broadcast
 * by looping over `wss.clients`. Whether its native helpers load is decided by the environment
 * the runner gives this process (WS_NO_BUFFER_UTIL, WS_NO_UTF_8_VALIDATE).
 */
export const startWsServer: StartBenchServer = (options) =>
  new Promise((resolve, reject) => {
    const deflate = options.deflate;
    const wss = new WebSocketServer({
      port: 0,
      host: '127.0.0.1',
      maxPayload: options.maxPayload,
      perMessageDeflate:
        deflate === undefined
          ? false
          : { threshold: deflate.threshold, zlibDeflateOptions: { level: deflate.level, memLevel: deflate.memLevel } },
    });
    wss.on('connection', (socket, request) => {
      socket.on('error', () => {});
      if (request.url === BROADCAST_PATH) {
        socket.on('message', (data, isBinary) => {
          for (const client of wss.clients) client.send(data, { binary: isBinary });
        });
      } else {
        socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
      }
    });
    wss.once('error', reject);
    wss.once('listening', () => {
      const address = wss.address();
      if (address === null || typeof address === 'string') return reject(new Error('expected a TCP address'));
      resolve({
        port: address.port,
        connections: () => wss.clients.size,
        details: describeWs() + (deflate === undefined ? '' : ', permessage-deflate'),
        close: () =>
          new Promise((done) => {
            for (const client of wss.clients) client.terminate();
            wss.close(() => done());
          }),
      });
    });
  });

/** The ws version and which native helpers it actually loaded in this process. */
function describeWs(): string {
  const require = createRequire(import.meta.url);
  const wsRoot = dirname(require.resolve('ws/package.json'));
  const version = (require('ws/package.json') as { version: string }).version;
  // ws replaces its JavaScript unmask with a wrapper around bufferutil when that loads; the module
  // is not among its exports, so it is reached by path.
  const bufferUtil = require(join(wsRoot, 'lib', 'buffer-util.js')) as { unmask: { name: string } };
  const native = bufferUtil.unmask.name !== '_unmask';
  return `ws ${version}, bufferutil ${native ? 'active' : 'off'}, UTF-8 check: ${
    'isUtf8' in require('node:buffer')
      ? 'node:buffer isUtf8 (built in, used either way)'
      : process.env['WS_NO_UTF_8_VALIDATE']
        ? 'JavaScript'
        : 'utf-8-validate'
  }`;
}
