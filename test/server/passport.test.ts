/**
 * The official docs' Passport.js recipe, as written, with real Express, express-session and
 * passport (0.7): a user logs in over HTTP, then the Socket.IO handshake carrying the session
 * cookie goes through `io.engine.use(onlyForHandshake(...))` and `socket.request.user` is that
 * user; a handshake without a logged-in session is answered 401.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import express from 'express';
import session from 'express-session';
import passport from 'passport';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { Server } from '../../src/server/index.js';
import { TRANSPORT_MODES, type TransportMode } from './helpers.js';
import { waitFor } from '../helpers/wait.js';

interface User {
  id: number;
  username: string;
}

const DUMMY_USER: User = { id: 1, username: 'john' };

/** The recipe's strategy, as passport-local would do it: the form's username and password, checked. */
class PasswordStrategy extends passport.Strategy {
  override name = 'local';

  override authenticate(req: express.Request): void {
    const { username, password } = (req.body ?? {}) as Record<string, string | undefined>;
    if (username === 'john' && password === 'changeit') this.success(DUMMY_USER);
    else this.fail(401);
  }
}

type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;
type HandshakeRequest = IncomingMessage & { _query: Record<string, string>; user?: User; session: session.Session };

/** The recipe's helper: the session and passport run on the handshake only, not on every poll. */
function onlyForHandshake(middleware: Middleware): Middleware {
  return (req, res, next) => {
    const isHandshake = (req as HandshakeRequest)._query.sid === undefined;
    if (isHandshake) middleware(req, res, next);
    else next();
  };
}

async function startApp(): Promise<{ io: Server; url: string }> {
  const app = express();
  const httpServer = createServer(app);
  const sessionMiddleware = session({ secret: 'changeit', resave: true, saveUninitialized: true });
  app.use(sessionMiddleware);
  app.use(express.urlencoded({ extended: false }));
  app.use(passport.session());
  app.post('/login', passport.authenticate('local', { successRedirect: '/', failureRedirect: '/' }));
  passport.use(new PasswordStrategy());
  passport.serializeUser((user, cb) => cb(null, (user as User).id));
  passport.deserializeUser((_id, cb) => cb(null, DUMMY_USER));

  const io = new Server(httpServer);
  io.engine.use(onlyForHandshake(sessionMiddleware as Middleware));
  io.engine.use(onlyForHandshake(passport.session() as Middleware));
  io.engine.use(
    onlyForHandshake((req, res, next) => {
      if ((req as HandshakeRequest).user) {
        next();
      } else {
        res.writeHead(401);
        res.end();
      }
    }),
  );
  io.on('connection', (socket) => {
    const req = socket.request as HandshakeRequest;
    void socket.join(`session:${req.session.id}`);
    void socket.join(`user:${req.user!.id}`);
    socket.on('whoami', (cb: (username: string) => void) => cb(req.user!.username));
    socket.on('rooms', (cb: (rooms: string[]) => void) => cb([...socket.rooms].map(String)));
  });
  httpServer.listen(0, '127.0.0.1');
  await waitFor(httpServer, 'listening');
  return { io, url: `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}` };
}

/** Logs in as the recipe's form does; returns the session cookie. */
async function logIn(url: string): Promise<string> {
  const response = await fetch(`${url}/login`, {
    method: 'POST',
    body: new URLSearchParams({ username: 'john', password: 'changeit' }),
    redirect: 'manual',
    signal: AbortSignal.timeout(5000),
  });
  await response.text();
  assert.equal(response.status, 302);
  const cookie = response.headers.get('set-cookie')?.split(';')[0];
  assert.match(cookie ?? '', /^connect\.sid=/);
  return cookie!;
}

describe('the Passport.js recipe through io.engine.use()', () => {
  for (const mode of ['upgrade', 'websocket'] satisfies TransportMode[]) {
    test(`a logged-in session's socket knows its user; one without is refused (${mode})`, async () => {
      const { io, url } = await startApp();
      const clients: ClientSocket[] = [];
      const client = (cookie?: string): ClientSocket => {
        const socket = connect(url, {
          forceNew: true,
          reconnection: false,
          timeout: 3000,
          extraHeaders: cookie === undefined ? {} : { cookie },
          ...TRANSPORT_MODES[mode],
        });
        clients.push(socket);
        return socket;
      };
      try {
        const cookie = await logIn(url);
        const user = client(cookie);
        await waitFor(user, 'connect');
        assert.equal(await user.timeout(3000).emitWithAck('whoami'), 'john');
        const rooms = (await user.timeout(3000).emitWithAck('rooms')) as string[];
        assert.ok(rooms.includes('user:1'), rooms.join());
        assert.ok(
          rooms.some((room) => /^session:.+/.test(room)),
          rooms.join(),
        );

        const [err] = await waitFor<[Error]>(client(), 'connect_error');
        assert.ok(err instanceof Error);
        assert.equal(io.engine.clientsCount, 1, 'only the logged-in client has a session');
        if (mode === 'upgrade') {
          const refused = await fetch(`${url}/socket.io/?EIO=4&transport=polling`, {
            signal: AbortSignal.timeout(3000),
          });
          await refused.text();
          assert.equal(refused.status, 401);
        }
      } finally {
        for (const socket of clients) socket.disconnect();
        await io.close();
      }
    });
  }
});
