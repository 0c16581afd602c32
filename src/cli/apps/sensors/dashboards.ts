import type { Namespace, Socket } from '../../../server/index.js';
import { isRecord, refuse, serveEvents } from '../app-events.js';
import { commandDevice, RELAY_COMMAND_PATTERN } from './device-topics.js';
import type { HubMessage, TopicHub } from './topic-hub.js';
import { patternProblem, topicMatches, topicNameProblem } from './topics.js';

/** Limits of what one page may ask of the hub. */
export interface DashboardLimits {
  /** Patterns one socket may be subscribed to at once. */
  readonly maxSubscriptionsPerSocket: number;
  /** Whether a device is connected that a relay command can reach. */
  readonly deviceOnline: (device: string) => boolean;
}

/** The room of a pattern's subscribers: one room per distinct pattern, shared by every socket that holds it. */
function roomOf(pattern: string): string {
  return `pattern:${pattern}`;
}

/**
 * Serves the dashboards on `namespace`. A page asks, each time with an acknowledgement:
 * - `subscribe(pattern)` → `{ ok, retained }`, the current values of the matching topics;
 * - `unsubscribe(pattern)` → `{ ok }`;
 * - `publish({ topic, payload })` → `{ ok, delivered }`, for relay commands only
 *   (`relays/<device>/<relay>/set` with `true` or `false`);
 *
 * and receives `message(topic, payload)` for every hub message one of its patterns matches (once,
 * however many match). A bad request is answered `{ ok: false, error }`, never thrown.
 * Returns the function that stops listening to the hub.
 */
export function serveDashboards(namespace: Namespace, hub: TopicHub, limits: DashboardLimits): () => void {
  // How many sockets hold each pattern: a message is matched against each distinct pattern once.
  const subscribers = new Map<string, number>();

  namespace.on('connection', (socket: Socket) => {
    const patterns = new Set<string>();
    serveEvents(socket, {
      subscribe(pattern) {
        const problem = patternProblem(pattern);
        if (problem !== undefined) return refuse(problem);
        const valid = pattern as string;
        if (!patterns.has(valid)) {
          if (patterns.size >= limits.maxSubscriptionsPerSocket)
            return refuse(`at most ${limits.maxSubscriptionsPerSocket} subscriptions per page`);
          patterns.add(valid);
          subscribers.set(valid, (subscribers.get(valid) ?? 0) + 1);
          void socket.join(roomOf(valid));
        }
        return { ok: true, retained: hub.retained.matching(valid) };
      },
      unsubscribe(pattern) {
        if (typeof pattern !== 'string' || !patterns.delete(pattern)) return refuse('not subscribed to that pattern');
        release(pattern);
        void socket.leave(roomOf(pattern));
        return { ok: true };
      },
      publish(message) {
        if (!isRecord(message)) return refuse('publish takes { topic, payload }');
        const { topic, payload } = message;
        const problem = topicNameProblem(topic);
        if (problem !== undefined) return refuse(problem);
        const valid = topic as string;
        if (!topicMatches(RELAY_COMMAND_PATTERN, valid))
          return refuse(`pages may publish relay commands only (${RELAY_COMMAND_PATTERN})`);
        if (typeof payload !== 'boolean') return refuse('a relay command is true or false');
        hub.publish({ topic: valid, payload, origin: 'page' });
        // Published even when no device here speaks for it: one behind the MQTT bridge may.
        return { ok: true, delivered: limits.deviceOnline(commandDevice(valid)!) };
      },
    });
    socket.on('disconnect', () => {
      for (const pattern of patterns) release(pattern);
    });
  });

  function release(pattern: string): void {
    const count = (subscribers.get(pattern) ?? 0) - 1;
    if (count > 0) subscribers.set(pattern, count);
    else subscribers.delete(pattern);
  }

  return hub.listen(({ topic, payload }: HubMessage) => {
    const rooms: string[] = [];
    for (const pattern of subscribers.keys()) if (topicMatches(pattern, topic)) rooms.push(roomOf(pattern));
    // An empty room list would mean the whole namespace.
    if (rooms.length > 0) namespace.to(rooms).emit('message', topic, payload);
  });
}
