/**
 * `withServer`: a server a test starts is closed whatever the test's assertions do, so one failed
 * assertion fails one test instead of leaving a listener that holds the whole run until its timeout.
 */
import http from 'node:http';
import net from 'node:net';
import { WebSocketServer } from '../../src/ws/index.js';
import { withTimeout } from './wait.js';

/**
 * What a test can start: a Node `net`/`http` server, a `WebSocketServer`, or any fixture whose
 * `close()` returns a promise (the Socket.IO `Server`, the test harnesses and engine fixtures).
 */
export type Closable = net.Server | WebSocketServer | { close(): Promise<unknown> | void };

/** How long closing may take before the test reports it instead of hanging. */
const CLOSE_TIMEOUT_MS = 10_000;

function close(server: Closable): Promise<void> {
  if (server instanceof net.Server || server instanceof WebSocketServer) {
    // Keep-alive connections would hold an http server's close() open until they time out.
    if (server instanceof http.Server) server.closeAllConnections();
    // Called back with an error when already closed (by the test itself): closed is what we want.
    return new Promise((resolve) => server.close(() => resolve()));
  }
  return Promise.resolve(server.close()).then(() => undefined);
}

/**
 * After a failed assertion, peers the test meant to close are still open: a graceful close would wait
 * for close handshakes they never answer, so their connections are dropped first.
 */
function dropConnections(server: Closable): void {
  const wss = server instanceof WebSocketServer ? server : 'wss' in server ? server.wss : undefined;
  // `clients` is undefined with `clientTracking: false`, as in `ws`.
  if (wss instanceof WebSocketServer) for (const client of wss.clients ?? []) client.terminate();
}

/**
 * Starts a server with `start`, runs `body` with it, and closes it afterwards even when `body` throws
 * (bounded in time; an error of `body` wins over one of closing).
 *
 * @example
 * await withServer(() => startServer(), async (server) => {
 *   const raw = await RawClient.open(server.port);
 *   assert.equal(raw.status, 101);
 * });
 */
export async function withServer<S extends Closable, R = void>(
  start: () => S | Promise<S>,
  body: (server: S) => R | Promise<R>,
): Promise<R> {
  const server = await start();
  let failed = false;
  try {
    return await body(server);
  } catch (error) {
    failed = true;
    dropConnections(server);
    throw error;
  } finally {
    const closing = withTimeout(close(server), 'the server to close', CLOSE_TIMEOUT_MS);
    // The body's own failure says more than a close that hung because of it.
    if (failed) await closing.catch(() => undefined);
    else await closing;
  }
}
