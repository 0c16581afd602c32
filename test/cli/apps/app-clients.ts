/**
 * Clients of the demo apps for the Node-level tests: the official socket.io-client, one
 * connection each (as separate browsers would have), and a record of the events each receives.
 */
import { io, type Socket } from 'socket.io-client';
import type { DemoServer } from '../../../src/cli/demo-server.js';
import { until, waitFor } from '../../helpers/wait.js';

/** An app client and everything it has received, by event name. */
export interface AppClient {
  readonly socket: Socket;
  readonly received: Map<string, unknown[]>;
  /** Emits `event` with `payload` and resolves with the server's acknowledgement. */
  ask(event: string, payload?: unknown): Promise<Record<string, unknown>>;
  /** The payloads of `event` received so far. */
  events<T = Record<string, unknown>>(event: string): T[];
  /** Resolves once a payload of `event` satisfies `predicate`, and returns it. */
  until<T = Record<string, unknown>>(event: string, predicate: (payload: T) => boolean, what?: string): Promise<T>;
}

/** Connects to `namespace` of `server` as `name` (over WebSocket unless told otherwise); rejects with a refusal. */
export async function connectApp(
  server: DemoServer,
  namespace: string,
  name: unknown,
  options: Parameters<typeof io>[1] = {},
): Promise<AppClient> {
  const socket = io(`${server.url.slice(0, -1)}${namespace}`, {
    auth: { name },
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    ...options,
  });
  const received = new Map<string, unknown[]>();
  socket.onAny((event: string, payload: unknown) => {
    let list = received.get(event);
    if (list === undefined) received.set(event, (list = []));
    list.push(payload);
  });
  const [outcome] = await Promise.race([
    waitFor<[unknown]>(socket, 'connect'),
    waitFor<[Error]>(socket, 'connect_error'),
  ]);
  if (outcome instanceof Error) {
    socket.close();
    throw outcome;
  }
  const client: AppClient = {
    socket,
    received,
    ask: (event, payload) => socket.timeout(5000).emitWithAck(event, payload) as Promise<Record<string, unknown>>,
    events: <T>(event: string) => (received.get(event) ?? []) as T[],
    async until<T>(event: string, predicate: (payload: T) => boolean, what = `a matching '${event}'`) {
      let found: T | undefined;
      await until(
        () => {
          found = client.events<T>(event).find(predicate);
          return found !== undefined;
        },
        5000,
        what,
      );
      return found!;
    },
  };
  return client;
}

/** Closes every client given. */
export function closeAll(clients: readonly AppClient[]): void {
  for (const client of clients) client.socket.close();
}
