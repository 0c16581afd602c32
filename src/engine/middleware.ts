import type { IncomingMessage, ServerResponse } from 'node:http';
import { isThenable } from './callback-hook.js';

/**
 * An Express-style middleware, as `engine.use()` takes: it reads or decorates the request, may set
 * response headers, and calls `next()` to go on or `next(err)` to refuse the request. On a
 * WebSocket upgrade, `res` is a stand-in that only collects headers (see {@link UpgradeResponse}).
 */
export type EngineMiddleware = {
  // Method syntax makes the parameters bivariant, so that Express middlewares, typed with
  // Express's own Request and Response (which extend these), are accepted as they are.
  middleware(req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): unknown;
}['middleware'];

function runOne(middleware: EngineMiddleware, req: IncomingMessage, res: ServerResponse): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    // A middleware that calls next twice, or calls it and then rejects, is heard once.
    const next = (err?: unknown): void => {
      if (settled) return;
      settled = true;
      // The value given to next() is passed on as it is, as the reference server does.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      if (err) reject(err);
      else resolve();
    };
    try {
      const returned = middleware(req, res, next);
      // An async middleware that rejects instead of calling next(err) refuses the request too.
      if (isThenable(returned))
        returned.then(undefined, (err: unknown) => next(err ?? new Error('middleware rejected')));
    } catch (err) {
      next(err ?? new Error('middleware threw'));
    }
  });
}

/**
 * Runs `middlewares` in order on one request; rejects with the first error one of them reports.
 * A middleware that answers the request itself and never calls `next` (a CORS preflight) leaves
 * the promise pending: nothing else is to be done for that request.
 */
export async function runMiddlewares(
  middlewares: readonly EngineMiddleware[],
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  for (const middleware of middlewares) await runOne(middleware, req, res);
}
