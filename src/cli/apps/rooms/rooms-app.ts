import { checkOptionNames } from '../../../engine/options.js';
import { checkInteger } from '../../../protocol/index.js';
import type { DefaultEventsMap, Socket } from '../../../server/index.js';
import { checkText, defaultChatLimits } from '../../chat/chat-protocol.js';
import {
  isRecord,
  namedNamespace,
  refuse,
  serveEvents,
  type NamedData,
  type Refusal,
  type Reply,
} from '../app-events.js';
import type { DemoApp, DemoAppContext } from '../demo-app.js';
import { checkRoomName, RoomDirectory, type HistoryItem } from './room-directory.js';

/** Options of the Rooms app. */
export interface RoomsOptions {
  /** Rooms that always exist; others are created by joining them and go with their last member. @default ['general', 'random'] */
  readonly rooms?: readonly string[];
  /** Most rooms at once, the permanent ones included. @default 20 */
  readonly maxRooms?: number;
  /** Messages and notices each room keeps for people who join later. @default 50 */
  readonly historyLength?: number;
  /** Longest message, in UTF-16 code units after trimming. @default 1000 */
  readonly maxTextLength?: number;
  /** The clock of message times and rate limits. @default Date.now */
  readonly now?: () => number;
}

const OPTION_NAMES: ReadonlySet<string> = new Set(['rooms', 'maxRooms', 'historyLength', 'maxTextLength', 'now']);

/** The namespace of the Rooms app. */
export const ROOMS_NAMESPACE = '/rooms';

/**
 * What the app keeps on each socket. The server restores `socket.data` with a recovered
 * connection, so a page that comes back after a drop is still in its room.
 */
interface RoomsData extends NamedData {
  room?: string;
}

type RoomsSocket = Socket<DefaultEventsMap, DefaultEventsMap, DefaultEventsMap, RoomsData>;

// A message id is the sender's: random, so that a retried send is recognised and kept once.
const messageId = /^[A-Za-z0-9_-]{8,40}$/;

/** The room of a socket in the app's namespace, as socket.io rooms are named. */
function channel(room: string): string {
  return `room:${room}`;
}

/**
 * The Rooms chat (namespace `/rooms`): a list of rooms to create, join and leave; messages to
 * the room, acknowledged once kept (the page shows ✓); who is here; who is typing; the last
 * messages of a room for whoever joins; and notices from the server ("Ada joined"). Each page
 * names itself when it connects (`auth: { name }`).
 *
 * @example
 * const app = createRoomsApp({ io, shutdownTimeout: 2000 }, { historyLength: 100 });
 */
export function createRoomsApp(context: DemoAppContext, options: RoomsOptions = {}): DemoApp {
  checkOptionNames(options, OPTION_NAMES, 'rooms');
  const now = options.now ?? Date.now;
  const chatLimits = {
    ...defaultChatLimits,
    maxTextLength: checkInteger('maxTextLength', options.maxTextLength ?? 1000, 1),
  };
  const permanentRooms = (options.rooms ?? ['general', 'random']).map((room) => {
    const checked = checkRoomName(room);
    if (!checked.ok) throw new TypeError(`rooms: ${JSON.stringify(room)}: ${checked.error}`);
    return checked.name;
  });
  const directory = new RoomDirectory({
    permanentRooms,
    maxRooms: checkInteger('maxRooms', options.maxRooms ?? 20, Math.max(1, permanentRooms.length)),
    historyLength: checkInteger('historyLength', options.historyLength ?? 50, 0),
  });
  const nsp = namedNamespace<RoomsData>(context.io, ROOMS_NAMESPACE);

  // The room list and who is here are this node's (in a cluster each node keeps its own), so they
  // go to this node's sockets only; messages and notices reach the room on every node.
  function announceRooms(): void {
    nsp.local.emit('rooms', directory.list());
  }

  function announcePresence(room: string): void {
    nsp.local.to(channel(room)).emit('presence', { room, members: directory.members(room) });
  }

  function notice(room: string, text: string): void {
    nsp.to(channel(room)).emit('notice', directory.notice(room, text, now()));
  }

  /** Counts the socket in its room; a room gone meanwhile (after a drop) is made again when there is space. */
  function enter(socket: RoomsSocket, room: string): { ok: true } | Refusal {
    const entered = directory.enter(room, socket.data.name);
    if (!entered.ok) return entered;
    socket.data.room = room;
    void socket.join(channel(room));
    if (entered.arrived) notice(room, `${socket.data.name} joined`);
    announcePresence(room);
    announceRooms();
    return { ok: true };
  }

  /** Takes the socket out of its room; `forget` is false on a disconnection, so a recovered session knows its room. */
  function exit(socket: RoomsSocket, forget: boolean): void {
    const room = socket.data.room;
    if (room === undefined) return;
    if (forget) delete socket.data.room;
    void socket.leave(channel(room));
    const { departed, removed } = directory.exit(room, socket.data.name);
    if (!removed) {
      if (departed) notice(room, `${socket.data.name} left`);
      announcePresence(room);
    }
    announceRooms();
  }

  function join(socket: RoomsSocket, payload: unknown): Reply | Refusal {
    const checked = checkRoomName(isRecord(payload) ? payload.room : undefined);
    if (!checked.ok) return checked;
    const room = checked.name;
    // Joining the room it is in answers what a newcomer gets: a page that reconnected without
    // its session asks again, and de-duplicates by id what it already shows.
    if (socket.data.room !== room) {
      exit(socket, true);
      const entered = enter(socket, room);
      if (!entered.ok) return entered;
    }
    return { ok: true, room, members: directory.members(room), history: directory.history(room) };
  }

  function message(socket: RoomsSocket, payload: unknown): Reply | Refusal {
    const room = socket.data.room;
    if (room === undefined) return refuse('join a room first');
    if (!isRecord(payload)) return refuse('expected { id, text }');
    const id = payload.id;
    if (typeof id !== 'string' || !messageId.test(id)) return refuse('id must be 8 to 40 letters, digits, "_" or "-"');
    const text = checkText(payload.text, chatLimits);
    if (!text.ok) return refuse(text.reason);
    const kept = directory.find(room, id);
    if (kept !== undefined) {
      // A retry of a message the room already has (its acknowledgement was lost): answered, not sent twice.
      if (kept.from !== socket.data.name || kept.text !== text.value) return refuse('that id is taken');
      return { ok: true, id, at: kept.at };
    }
    const item: HistoryItem = { id, room, kind: 'message', from: socket.data.name, text: text.value, at: now() };
    nsp.to(channel(room)).emit('message', directory.record(item));
    return { ok: true, id, at: item.at };
  }

  function typing(socket: RoomsSocket, payload: unknown): Reply | Refusal {
    const room = socket.data.room;
    if (room === undefined) return refuse('join a room first');
    const active = isRecord(payload) ? payload.typing : undefined;
    if (typeof active !== 'boolean') return refuse('expected { typing: true | false }');
    socket.to(channel(room)).emit('typing', { room, name: socket.data.name, typing: active });
    return { ok: true };
  }

  nsp.on('connection', (socket) => {
    serveEvents(
      socket,
      {
        join: (payload) => join(socket, payload),
        leave: () => {
          exit(socket, true);
          return { ok: true };
        },
        message: (payload) => message(socket, payload),
        typing: (payload) => typing(socket, payload),
      },
      now,
    );
    socket.on('disconnect', () => exit(socket, false));
    // A recovered session is back in its socket.io room already; the app counts it there again.
    const room = socket.recovered ? socket.data.room : undefined;
    if (room !== undefined && !enter(socket, room).ok) {
      delete socket.data.room;
      void socket.leave(channel(room));
    }
    socket.emit('rooms', directory.list());
  });

  return {
    name: 'rooms',
    close: () => Promise.resolve(),
  };
}
