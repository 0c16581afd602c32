/** Whether `value` is a promise, or anything `await` would treat as one. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** A hook returned a value instead of answering through its callback (see {@link callHook}). */
export class CallbackFormError extends TypeError {
  override name = 'CallbackFormError';
}

/** A thrown value as an Error: anything else (a string, a rejection without a reason) becomes the `cause` of one. */
export function asError(value: unknown): Error {
  if (value instanceof Error) return value;
  let text: string;
  try {
    text = String(value);
  } catch {
    // An object without a prototype, or whose toString throws: converting it must not throw in turn.
    text = Object.prototype.toString.call(value);
  }
  return new Error(`non-error thrown: ${text}`, { cause: value });
}

/**
 * Runs a hook that answers through a callback (`allowRequest(req, callback)`, a CORS origin
 * function), for which `invoke` calls it with its callback; `answered` tells whether that
 * callback has been called. A hook that throws, or returns a promise that rejects before it
 * answered, answers with that error through `fail`. A hook that returns a verdict (a boolean or
 * a string, or a promise of one) without calling its callback was written for a form that
 * returns it: were the value ignored, the request would wait forever, and a denial could pass
 * for an approval, so it answers with a {@link CallbackFormError} naming the hook and the form to
 * use. Anything else returned (a timer, an arrow function's incidental result) is no answer.
 */
export function callHook(
  name: string,
  form: string,
  invoke: () => unknown,
  answered: () => boolean,
  fail: (err: Error) => void,
): void {
  let returned: unknown;
  try {
    returned = invoke();
  } catch (err) {
    if (!answered()) fail(asError(err));
    return;
  }
  const misused = (value: unknown): void => {
    if ((typeof value === 'boolean' || typeof value === 'string') && !answered()) {
      fail(
        new CallbackFormError(
          `${name} returned ${String(value)} instead of answering through its callback: write it as ${form}`,
        ),
      );
    }
  };
  if (isThenable(returned)) {
    returned.then(misused, (err: unknown) => {
      if (!answered()) fail(asError(err));
    });
    return;
  }
  misused(returned);
}
