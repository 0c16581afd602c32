import { refuse, type Refusal } from '../app-events.js';

/** One entry of a room's history: a message someone sent, or a notice the server wrote ("Ada joined"). */
export interface HistoryItem {
  /** Unique in its room: the sender's own id for a message (so a retry is recognised), `~<n>` for a notice. */
  readonly id: string;
  readonly room: string;
  readonly kind: 'message' | 'notice';
  /** Who sent it; absent on a notice. */
  readonly from?: string;
  readonly text: string;
  /** Milliseconds since the epoch, by the server's clock. */
  readonly at: number;
}

/** A room as the list of rooms shows it. */
export interface RoomSummary {
  readonly name: string;
  /** How many different people are in it. */
  readonly members: number;
}

/** The limits of a {@link RoomDirectory}. */
export interface RoomDirectoryLimits {
  /** Rooms that always exist, even empty. */
  readonly permanentRooms: readonly string[];
  /** Most rooms at once, the permanent ones included. */
  readonly maxRooms: number;
  /** Entries each room keeps for people who join later (the oldest go first). */
  readonly historyLength: number;
}

interface Room {
  readonly permanent: boolean;
  readonly history: HistoryItem[];
  /** Connections in the room by name: two tabs of one person are one member. */
  readonly members: Map<string, number>;
}

// Letters, digits, spaces and a little punctuation: a room name is shown in lists and notices.
const roomName = /^[\p{L}\p{N}][\p{L}\p{N} _.-]*$/u;
const MAX_ROOM_NAME_LENGTH = 32;
// Counted in code points (the `u` flag), as people count characters.
const withinLength = new RegExp(`^.{1,${MAX_ROOM_NAME_LENGTH}}$`, 'u');

/** Checks a room name: 1 to 32 characters, letters, digits, spaces, `_`, `.` and `-`, starting with a letter or digit. */
export function checkRoomName(input: unknown): { ok: true; name: string } | Refusal {
  if (typeof input !== 'string') return refuse('room must be a string');
  const name = input.normalize('NFC').replace(/\s+/gu, ' ').trim();
  if (name.length === 0) return refuse('room name is empty');
  if (!withinLength.test(name)) return refuse(`room name is longer than ${MAX_ROOM_NAME_LENGTH} characters`);
  if (!roomName.test(name)) return refuse('room name may hold letters, digits, spaces, "_", "." and "-"');
  return { ok: true, name };
}

/**
 * The rooms of the Rooms app and what each holds: who is in it (by name, counting connections,
 * so a second tab or a reconnection that overlaps the old connection is one person) and its last
 * messages. Pure state with a bound on everything: rooms, history per room. A room someone created
 * goes away with its last member; the permanent ones stay.
 */
export class RoomDirectory {
  private readonly rooms = new Map<string, Room>();
  private noticeCount = 0;

  constructor(private readonly limits: RoomDirectoryLimits) {
    for (const name of limits.permanentRooms)
      this.rooms.set(name, { permanent: true, history: [], members: new Map() });
  }

  /** Every room, permanent ones first, then in order of creation. */
  list(): RoomSummary[] {
    return [...this.rooms].map(([name, room]) => ({ name, members: room.members.size }));
  }

  /** The names of the people in `room`, sorted. */
  members(room: string): string[] {
    return [...(this.rooms.get(room)?.members.keys() ?? [])].sort((a, b) => a.localeCompare(b));
  }

  /** What `room` keeps for newcomers, oldest first. */
  history(room: string): readonly HistoryItem[] {
    return this.rooms.get(room)?.history ?? [];
  }

  /**
   * Counts one connection of `name` in `room`, creating the room when there is space. `arrived`
   * says whether `name` was not there before (the moment to announce them).
   */
  enter(room: string, name: string): { ok: true; arrived: boolean; created: boolean } | Refusal {
    let entry = this.rooms.get(room);
    const created = entry === undefined;
    if (entry === undefined) {
      if (this.rooms.size >= this.limits.maxRooms)
        return refuse(`there are already ${this.limits.maxRooms} rooms: join one of them`);
      entry = { permanent: false, history: [], members: new Map() };
      this.rooms.set(room, entry);
    }
    const count = entry.members.get(name) ?? 0;
    entry.members.set(name, count + 1);
    return { ok: true, arrived: count === 0, created };
  }

  /**
   * Takes one connection of `name` out of `room`. `departed` says whether that was their last one
   * there; `removed`, whether the room went with it.
   */
  exit(room: string, name: string): { departed: boolean; removed: boolean } {
    const entry = this.rooms.get(room);
    const count = entry?.members.get(name);
    if (entry === undefined || count === undefined) return { departed: false, removed: false };
    if (count > 1) {
      entry.members.set(name, count - 1);
      return { departed: false, removed: false };
    }
    entry.members.delete(name);
    const removed = entry.members.size === 0 && !entry.permanent;
    if (removed) this.rooms.delete(room);
    return { departed: true, removed };
  }

  /** The entry of `room` with this id, if the room still keeps it. */
  find(room: string, id: string): HistoryItem | undefined {
    return this.rooms.get(room)?.history.find((item) => item.id === id);
  }

  /** Keeps a message in its room's history (the oldest entry goes when it is full) and returns it. */
  record(item: HistoryItem): HistoryItem {
    const history = this.rooms.get(item.room)?.history;
    if (history === undefined) return item;
    history.push(item);
    if (history.length > this.limits.historyLength) history.shift();
    return item;
  }

  /** Writes a server notice into `room`'s history and returns it. */
  notice(room: string, text: string, at: number): HistoryItem {
    return this.record({ id: `~${++this.noticeCount}`, room, kind: 'notice', text, at });
  }
}
