import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';

/** What the server attaches to: an HTTP(S) server, or a port to listen on. */
export type AttachTarget = HttpServer | HttpsServer | number;

function isHttpServer(value: unknown): value is HttpServer | HttpsServer {
  return typeof value === 'object' && value !== null && typeof (value as { listen?: unknown }).listen === 'function';
}

/** Whether the constructor's first argument is what to attach to rather than the options. */
export function isServerTarget(value: unknown): value is HttpServer | HttpsServer | number | string {
  // An Express app is a function: given to attach(), it is refused there with the official message.
  return typeof value === 'number' || typeof value === 'string' || typeof value === 'function' || isHttpServer(value);
}

/**
 * What `attach()` was given, as an HTTP(S) server or a port number (a string of digits, such as
 * `process.env.PORT`, as the official server takes at run time); anything else throws a `TypeError`.
 */
export function serverTarget(srv: unknown): AttachTarget {
  if (typeof srv === 'function') {
    // The official server's wording.
    throw new TypeError(
      'You are trying to attach socket.io to an express request handler function. Please pass a http.Server instance.',
    );
  }
  if (typeof srv === 'string' && /^\d+$/.test(srv)) return Number(srv);
  if (typeof srv === 'number' || isHttpServer(srv)) return srv;
  throw new TypeError(
    `expected an http(s).Server or a port (a number, or a string of digits), got ${typeof srv === 'string' ? JSON.stringify(srv) : typeof srv}`,
  );
}

/** The request listener of a server created for a port: every request the engine does not take is answered 404, as the official server's is. */
export function answerNotFound(_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(404);
  res.end();
}
