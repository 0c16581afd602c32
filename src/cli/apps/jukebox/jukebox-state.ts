import { isRecord, refuse, type Refusal } from '../app-events.js';
import type { Track } from './catalog.js';

/** The limits and settings of a {@link JukeboxState}. */
export interface JukeboxLimits {
  /** Most requested tracks waiting at once. */
  readonly maxQueue: number;
  /** Most tracks one listener may have waiting in the queue. */
  readonly maxRequestsPerListener: number;
  /** Plays every track for this many ms instead of its own length; `undefined` plays them whole. */
  readonly trackLength: number | undefined;
}

/** A track someone asked for, waiting its turn. */
export interface QueuedTrack {
  readonly track: Track;
  readonly requestedBy: string;
}

/** The track playing and what listeners did about it. */
interface Playing {
  readonly track: Track;
  readonly requestedBy: string | undefined;
  /** By the state's clock. */
  readonly startedAt: number;
  /** How long it plays (ms): its length, or the configured `trackLength`. */
  readonly duration: number;
  readonly likedBy: Set<string>;
  readonly skipVotes: Set<string>;
}

/** What every page is sent: everything it shows, as of now. */
export interface JukeboxSnapshot {
  readonly nowPlaying: {
    readonly track: Track;
    readonly requestedBy: string | null;
    /** Ms played so far; the page advances its progress bar from it on its own clock. */
    readonly position: number;
    readonly duration: number;
    readonly likedBy: readonly string[];
    readonly skipVotes: readonly string[];
    /** Votes that skip it: half of the listeners, rounded up. */
    readonly skipNeeded: number;
  };
  readonly queue: readonly QueuedTrack[];
  /** Who is listening, by name, sorted. */
  readonly listeners: readonly string[];
}

/**
 * The jukebox's state, without timers or sockets: the track playing, the queue, the listeners (by
 * name: two tabs of one person are one listener, who likes a track once and votes once), likes
 * and skip votes. The app drives it: {@link JukeboxState.advance} when a track ends or is skipped.
 * When nobody has requested anything it plays the catalog in order, so there is always music.
 */
export class JukeboxState {
  private readonly tracks: ReadonlyMap<string, Track>;
  private readonly queue: QueuedTrack[] = [];
  private readonly listeners = new Map<string, number>();
  private rotation = 0;
  private playing: Playing;

  constructor(
    private readonly catalog: readonly Track[],
    private readonly limits: JukeboxLimits,
    private readonly now: () => number,
  ) {
    if (catalog.length === 0) throw new TypeError('the catalog must hold at least one track');
    this.tracks = new Map(catalog.map((track) => [track.id, track]));
    this.playing = this.start(this.nextFromCatalog(), undefined);
  }

  /** The track playing. */
  get current(): Track {
    return this.playing.track;
  }

  /** Ms until the track playing ends. */
  remaining(): number {
    return Math.max(0, this.playing.startedAt + this.playing.duration - this.now());
  }

  /** Ms the track playing has played. */
  position(): number {
    return Math.min(this.playing.duration, Math.max(0, this.now() - this.playing.startedAt));
  }

  /** Starts the next track: the first one requested, else the next of the catalog. */
  advance(): QueuedTrack | { readonly track: Track; readonly requestedBy: undefined } {
    const next = this.queue.shift() ?? { track: this.nextFromCatalog(), requestedBy: undefined };
    this.playing = this.start(next.track, next.requestedBy);
    return next;
  }

  /** Counts one connection of `name`; `arrived` when they were not listening before. */
  addListener(name: string): boolean {
    const count = this.listeners.get(name) ?? 0;
    this.listeners.set(name, count + 1);
    return count === 0;
  }

  /** Takes one connection of `name` away; once it was their last, their skip vote goes with them. */
  removeListener(name: string): void {
    const count = this.listeners.get(name);
    if (count === undefined) return;
    if (count > 1) {
      this.listeners.set(name, count - 1);
      return;
    }
    this.listeners.delete(name);
    this.playing.skipVotes.delete(name);
  }

  /** Votes needed to skip: half of the listeners, rounded up (at least one). */
  skipNeeded(): number {
    return Math.max(1, Math.ceil(this.listeners.size / 2));
  }

  /** Whether the votes cast reach {@link JukeboxState.skipNeeded}. */
  shouldSkip(): boolean {
    return this.playing.skipVotes.size >= this.skipNeeded();
  }

  /** `name` likes the track playing, once; `payload` must name it (`{ trackId }`), so a late click never likes the next one. */
  like(name: string, payload: unknown): { ok: true; track: Track; likes: number } | Refusal {
    const track = this.checkPlaying(payload);
    if (!('id' in track)) return track;
    if (this.playing.likedBy.has(name)) return refuse('you already liked this track');
    this.playing.likedBy.add(name);
    return { ok: true, track, likes: this.playing.likedBy.size };
  }

  /** `name` votes to skip the track playing (`{ trackId }`), once. */
  voteSkip(name: string, payload: unknown): { ok: true; track: Track; votes: number; needed: number } | Refusal {
    const track = this.checkPlaying(payload);
    if (!('id' in track)) return track;
    if (this.playing.skipVotes.has(name)) return refuse('you already voted to skip this track');
    this.playing.skipVotes.add(name);
    return { ok: true, track, votes: this.playing.skipVotes.size, needed: this.skipNeeded() };
  }

  /** `name` asks for a track of the catalog (`{ trackId }`); it joins the end of the queue. */
  request(name: string, payload: unknown): { ok: true; track: Track; position: number } | Refusal {
    const id = isRecord(payload) ? payload.trackId : undefined;
    const track = typeof id === 'string' ? this.tracks.get(id) : undefined;
    if (track === undefined) return refuse('expected { trackId } naming a track of the catalog');
    if (track === this.playing.track) return refuse(`“${track.title}” is playing now`);
    if (this.queue.some((queued) => queued.track === track)) return refuse(`“${track.title}” is already queued`);
    if (this.queue.length >= this.limits.maxQueue) return refuse(`the queue is full (${this.limits.maxQueue} tracks)`);
    const mine = this.queue.filter((queued) => queued.requestedBy === name).length;
    if (mine >= this.limits.maxRequestsPerListener)
      return refuse(`you have ${mine} tracks queued already; wait until one plays`);
    this.queue.push({ track, requestedBy: name });
    return { ok: true, track, position: this.queue.length };
  }

  /** Everything pages show, as of now. */
  snapshot(): JukeboxSnapshot {
    const playing = this.playing;
    return {
      nowPlaying: {
        track: playing.track,
        requestedBy: playing.requestedBy ?? null,
        position: this.position(),
        duration: playing.duration,
        likedBy: [...playing.likedBy],
        skipVotes: [...playing.skipVotes],
        skipNeeded: this.skipNeeded(),
      },
      queue: [...this.queue],
      listeners: [...this.listeners.keys()].sort((a, b) => a.localeCompare(b)),
    };
  }

  private checkPlaying(payload: unknown): Track | Refusal {
    const id = isRecord(payload) ? payload.trackId : undefined;
    if (typeof id !== 'string') return refuse('expected { trackId } naming the track playing');
    if (id !== this.playing.track.id) return refuse('that track is not playing any more');
    return this.playing.track;
  }

  private nextFromCatalog(): Track {
    const track = this.catalog[this.rotation % this.catalog.length]!;
    this.rotation++;
    return track;
  }

  private start(track: Track, requestedBy: string | undefined): Playing {
    return {
      track,
      requestedBy,
      startedAt: this.now(),
      duration: this.limits.trackLength ?? track.duration,
      likedBy: new Set(),
      skipVotes: new Set(),
    };
  }
}
