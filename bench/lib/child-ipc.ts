import type { Reply } from './protocol.js';

/**
 * Answers the runner's requests in a child process: each request's `type` picks the handler, and
 * its result (or error) goes back with the request's `id`. The child exits when the runner goes
 * away, so no benchmark process outlives an interrupted run.
 */
export function serveRequests<R extends { readonly id: number; readonly type: string }>(
  handle: (request: R) => unknown,
): void {
  const send = process.send?.bind(process);
  if (send === undefined) throw new Error('this process must be started by the benchmark runner (no IPC channel)');
  process.on('message', (message) => {
    const request = message as R;
    Promise.resolve()
      .then(() => handle(request))
      .then(
        (result) => send({ id: request.id, ok: true, result: result ?? null } satisfies Reply),
        (error: unknown) =>
          send({
            id: request.id,
            ok: false,
            error: error instanceof Error ? (error.stack ?? error.message) : String(error),
          } satisfies Reply),
      );
  });
  process.on('disconnect', () => process.exit(0));
}

/** Sends a message that answers no request, such as the `ready` announcement. */
export function announce(message: object): void {
  process.send?.(message);
}

/** CPU time used so far by this process, with the time it was read. */
export function cpuNow(): { user: number; system: number; time: number } {
  const { user, system } = process.cpuUsage();
  return { user, system, time: Number(process.hrtime.bigint()) };
}
