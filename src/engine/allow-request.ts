import type { IncomingMessage } from 'node:http';
import { EngineErrorCode } from '../protocol/engine-io/index.js';
import { CallbackFormError, callHook } from './callback-hook.js';
import type { AllowRequest } from './options.js';

/** Why the engine refuses a request: the protocol's error code, and what `'connection_error'` reports. */
export interface Refusal {
  readonly code: EngineErrorCode;
  readonly context: Readonly<Record<string, unknown>>;
  /** Replaces the standard message in the response body (the `allowRequest` error). */
  readonly message?: string;
}

/**
 * Asks `allowRequest(req, callback)` (Engine.IO's form) whether a handshake may go on: resolves
 * with `undefined` to let it in, or with a 403 refusal. Every answer but a truthy `success`
 * through the callback refuses it (a throw, a rejection, a verdict returned instead of called
 * back: see {@link AllowRequest}), so a hook written for another form fails closed. A verdict
 * returned is the application's mistake, not the client's: it goes to `onMisuse` for the
 * developer, not into the response body.
 */
export function askAllowRequest(
  allowRequest: AllowRequest,
  req: IncomingMessage,
  onMisuse: (error: CallbackFormError) => void,
): Promise<Refusal | undefined> {
  return new Promise((resolve) => {
    let answered = false;
    callHook(
      'allowRequest',
      '(req, callback) => callback(null, allowed)',
      () =>
        allowRequest(req, (err, success) => {
          if (answered) return;
          answered = true;
          if (success) {
            resolve(undefined);
            return;
          }
          // As the reference server: the callback's first argument becomes the body's message.
          const message = err === null || err === undefined || err === '' ? undefined : String(err);
          const code = EngineErrorCode.Forbidden;
          resolve(message === undefined ? { code, context: {} } : { code, context: { message }, message });
        }),
      () => answered,
      (error) => {
        answered = true;
        if (error instanceof CallbackFormError) {
          onMisuse(error);
          resolve({ code: EngineErrorCode.Forbidden, context: { error } });
          return;
        }
        resolve({
          code: EngineErrorCode.Forbidden,
          context: { message: error.message, error },
          message: error.message,
        });
      },
    );
  });
}
