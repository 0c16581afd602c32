/**
 * A hand-written Engine.IO server for the upgrade tests: each step of a long poll and of an upgrade
 * probe is the test's to answer, hold or drop, which neither real server lets a test do.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from '../../../src/ws/index.js';
import { waitFor } from '../../helpers/wait.js';

/** A handshake offering the upgrade, with pings too rare to show up in a test. */
export const HANDSHAKE = { sid: 'raw-sid', upgrades: ['websocket'], pingInterval: 10_000, pingTimeout: 10_000 };

export interface RawEngine {
  readonly origin: string;
  /** The bodies of the POSTs received, in order. */
  readonly posts: string[];
  /** The polls after the handshake, held unanswered (a long poll with nothing to say) for the test to answer. */
  readonly gets: ServerResponse[];
  /** With `holdPosts`, the POSTs held unanswered for the test to answer. */
  readonly heldPosts: ServerResponse[];
  close(): Promise<void>;
}

/**
 * A hand-written Engine.IO server: the handshake GET gets `handshake`, every later GET is held,
 * POSTs are recorded (and answered at once unless `holdPosts`), and each WebSocket runs `script`.
 */
export async function rawEngine(
  handshake: object,
  script: (socket: WebSocket) => void,
  holdPosts = false,
): Promise<RawEngine> {
  const posts: string[] = [];
  const gets: ServerResponse[] = [];
  const heldPosts: ServerResponse[] = [];
  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'POST') {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        posts.push(body);
        if (holdPosts) heldPosts.push(res);
        else res.end('ok');
      });
    } else if (req.url?.includes('sid=') === true) gets.push(res);
    else res.end('0' + JSON.stringify(handshake));
  });
  const wss = new WebSocketServer({ server: http });
  wss.on('connection', script);
  http.listen(0, '127.0.0.1');
  await waitFor(http, 'listening');
  return {
    origin: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    posts,
    gets,
    heldPosts,
    close: async () => {
      http.closeAllConnections();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
