/**
 * The official docs' express-session recipe, as written, with real Express and express-session:
 * `io.engine.use(sessionMiddleware)`, then `socket.request.session` reloaded, changed and saved
 * from an event handler, and the change seen by an HTTP request of the same session.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import express from 'express';
import session, { type Session } from 'express-session';
import { io as connect } from 'socket.io-client';
import { Server } from '../../src/server/index.js';
import { TRANSPORT_MODES, type TransportMode } from './helpers.js';
import { waitFor } from '../helpers/wait.js';

type SessionRequest = IncomingMessage & { session: Session & { count?: number } };

for (const mode of ['polling', 'websocket'] satisfies TransportMode[]) {
  describe(`express-session through io.engine.use() (${mode})`, () => {
    it('a handler reloads, changes and saves the session an HTTP request then reads', async () => {
      const app = express();
      const httpServer = createServer(app);
      // The recipe's options. Over polling, the middleware runs on every poll, and with `resave`
      // a long poll that loaded the session before the handler saved it would save its stale copy
      // when it ends (the reference server does the same): polling sessions need `resave: false`.
      const sessionMiddleware = session({ secret: 'changeit', resave: mode === 'websocket', saveUninitialized: true });
      app.use(sessionMiddleware);
      app.get('/count', (req, res) => {
        res.json({ count: (req.session as SessionRequest['session']).count ?? 0 });
      });

      const io = new Server(httpServer);
      io.engine.use(sessionMiddleware);
      io.on('connection', (socket) => {
        const req = socket.request as SessionRequest;
        assert.equal(socket.client.request, socket.request);
        assert.equal(socket.conn.request, socket.request);
        socket.on('increment', (ack: (count: number) => void) => {
          req.session.reload((err) => {
            if (err) {
              socket.disconnect();
              return;
            }
            req.session.count = (req.session.count ?? 0) + 1;
            req.session.save(() => ack(req.session.count!));
          });
        });
      });

      httpServer.listen(0, '127.0.0.1');
      await waitFor(httpServer, 'listening');
      const url = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
      const client = (cookie: string) =>
        connect(url, { forceNew: true, reconnection: false, extraHeaders: { cookie }, ...TRANSPORT_MODES[mode] });
      let socket: ReturnType<typeof client> | undefined;
      try {
        const first = await fetch(`${url}/count`, { signal: AbortSignal.timeout(5000) });
        assert.deepEqual(await first.json(), { count: 0 });
        const cookie = first.headers.get('set-cookie')!.split(';')[0]!;
        assert.match(cookie, /^connect\.sid=/);

        socket = client(cookie);
        await waitFor(socket, 'connect');
        assert.equal(await socket.timeout(5000).emitWithAck('increment'), 1);
        assert.equal(await socket.timeout(5000).emitWithAck('increment'), 2);

        const after = await fetch(`${url}/count`, { headers: { cookie }, signal: AbortSignal.timeout(5000) });
        assert.deepEqual(await after.json(), { count: 2 });
      } finally {
        socket?.disconnect();
        await io.close();
      }
    });
  });
}
