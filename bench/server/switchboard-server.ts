import { WebSocketServer } from '../../src/ws/index.js';
import { BROADCAST_PATH, type StartBenchServer } from './bench-server.js';

/**
 * Switchboard's WebSocketServer with its defaults: echo with `socket.send(data, { binary })`,
 * broadcast with `wss.broadcast`, which encodes the frame once for all recipients. Compression
 * only when the scenario asks for it, with the shared settings.
 */
export const startSwitchboardServer: StartBenchServer = (options) =>
  new Promise((resolve, reject) => {
    const deflate = options.deflate;
    const wss = new WebSocketServer({
      port: 0,
      host: '127.0.0.1',
      maxPayload: options.maxPayload,
      perMessageDeflate:
        deflate === undefined
          ? false
          : { threshold: deflate.threshold, level: deflate.level, memLevel: deflate.memLevel },
    });
    wss.on('connection', (socket, request) => {
      socket.on('error', () => {});
      if (request.url === BROADCAST_PATH) {
        socket.on('message', (data: Buffer, isBinary: boolean) => wss.broadcast(data, { binary: isBinary }));
      } else {
        socket.on('message', (data: Buffer, isBinary: boolean) => socket.send(data, { binary: isBinary }));
      }
    });
    wss.once('error', reject);
    wss.once('listening', () => {
      const address = wss.address();
      if (address === null || typeof address === 'string') return reject(new Error('expected a TCP address'));
      resolve({
        port: address.port,
        connections: () => wss.clients.size,
        details: `switchboard/ws, default options${deflate === undefined ? '' : ', permessage-deflate'}`,
        close: () =>
          new Promise((done) => {
            for (const client of wss.clients) client.terminate();
            wss.close(() => done());
          }),
      });
    });
  });
