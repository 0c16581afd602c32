/**
 * HTTP long-polling over `fetch` (Engine.IO protocol v4, "HTTP long-polling"): one GET in flight at
 * a time waiting for the server's packets, one POST at a time carrying the client's; and the
 * upgrade from it to a WebSocket.
 */
import { toBase64 } from '../../protocol/base64.js';
import { timestamped } from './endpoint.js';
import { packetsThatFit } from './payload-size.js';
import {
  PARSE_ERROR,
  Report,
  TransportError,
  checkPacket,
  ignore,
  startTimer,
  type ClientTransport,
  type Timer,
  type TransportHost,
  type TransportListener,
  type Outgoing,
  type Wire,
  wireOf,
} from './transport.js';
import { TransportPlan, rememberWebsocket } from './transport-plan.js';
import type { EngineSocketOptions } from './types.js';
import { WebSocketTransport } from './websocket-transport.js';

/** The record separator (U+001E) between the packets of a payload. */
const SEPARATOR = '\x1e';

/** After a fallback to polling, a failed upgrade is tried again after 1 s, then 2 s, 4 s… up to 30 s. */
const FIRST_PROBE_RETRY_MS = 1000;
const LAST_PROBE_RETRY_MS = 30_000;

/**
 * Where the transport stands. `Pausing`: the server answered an upgrade probe; no new GET and
 * nothing written, until the GET and the POST in flight are done and the WebSocket takes over.
 */
const enum State {
  Open,
  Pausing,
  Closed,
}

/** Packets as one payload: text packets as they are, binary messages as `b` and their base64. */
const encodePayload = (packets: readonly Outgoing[]): string =>
  packets
    .map((packet) => {
      const wire = wireOf(packet);
      return typeof wire === 'string' ? wire : `b${toBase64(wire)}`;
    })
    .join(SEPARATOR);

/**
 * One packet of a payload, or the `parse error` it is. Base64 is decoded by the host's `atob`,
 * which refuses what is not base64.
 */
function decodePacket(text: string): Wire | TransportError {
  if (!text.startsWith('b')) return checkPacket(text);
  try {
    return Uint8Array.from(atob(text.slice(1)), (char) => char.charCodeAt(0));
  } catch (error) {
    return new TransportError(PARSE_ERROR, error);
  }
}

/**
 * The error of a refused request: the status as the description, and the server's JSON error body
 * (`{"code": 1, "message": "Session ID unknown"}`) in the context when there is one.
 */
function httpError(message: string, status: number, body: string): TransportError {
  const context: { status: number; code?: number; message?: string } = { status };
  try {
    const parsed = JSON.parse(body) as { code?: unknown; message?: unknown };
    if (typeof parsed.code === 'number') context.code = parsed.code;
    if (typeof parsed.message === 'string') context.message = parsed.message;
  } catch {
    // Not JSON (a proxy's error page), or `null`: the status is all there is to tell.
  }
  return new TransportError(message, status, context);
}

/**
 * The long-polling transport. Error messages (`xhr poll error`, `xhr post error`) are those of
 * `engine.io-client`'s default transport, which applications match in `connect_error` handlers.
 */
export class PollingTransport implements ClientTransport {
  readonly name = 'polling';
  listener: TransportListener;
  readonly #host: TransportHost;
  #state = State.Open;
  /** Aborts the GET in flight; `undefined` when none is. */
  #poll: AbortController | undefined;
  #posting = false;
  /** The payload {@link shutdown} sends once the POST in flight is done. */
  #final: string | undefined;
  /** The WebSocket an upgrade probes, while one does. */
  #probeSocket: ClientTransport | undefined;
  /** The probe's deadline, or when the next one starts. */
  #probeTimer: Timer;
  /**
   * How long until the next upgrade attempt once one failed; 0 unless the WebSocket listed first
   * failed and polling took over, the only case in which failed upgrades are tried again.
   */
  #probeRetryDelay = 0;

  /**
   * The plan of a session that may use both transports: it comes with this class, so that a
   * WebSocket-only bundle holds no fallback code.
   */
  static plan(options: EngineSocketOptions): TransportPlan {
    return new TransportPlan(options);
  }

  constructor(host: TransportHost, listener: TransportListener) {
    this.#host = host;
    this.listener = listener;
    this.#startPoll();
  }

  get writable(): boolean {
    return this.#state === State.Open && !this.#posting;
  }

  send(packets: readonly Outgoing[], maxPayload?: number): number {
    const count = maxPayload === undefined ? packets.length : packetsThatFit(packets, maxPayload);
    this.#posting = true;
    this.#request(encodePayload(packets.slice(0, count))).then(
      () => this.#posted(undefined),
      (error: unknown) => this.#posted(error as TransportError),
    );
    return count;
  }

  upgrade(serverUpgrades: readonly string[], afterFallback: boolean): void {
    const options = this.#host.options;
    if (options.upgrade && options.transports.includes('websocket') && serverUpgrades.includes('websocket')) {
      // Right after a WebSocket failed, trying again at once would most likely fail the same way.
      if (afterFallback) {
        this.#probeRetryDelay = FIRST_PROBE_RETRY_MS;
        this.#scheduleProbe();
      } else this.#probe();
    }
  }

  #scheduleProbe(): void {
    this.#probeTimer = startTimer(this.#probeRetryDelay, () => this.#probe());
    this.#probeRetryDelay = Math.min(this.#probeRetryDelay * 2, LAST_PROBE_RETRY_MS);
  }

  /**
   * Starts moving the session onto a WebSocket (Engine.IO protocol v4, "Upgrade"): open one with
   * the session id, send `2probe`, expect `3probe`, then pause (see {@link checkPaused}). Until
   * then the probe is the WebSocket's listener. It fails by itself when not through within the
   * session's `timeout`.
   */
  #probe(): void {
    rememberWebsocket(false);
    this.#probeTimer = startTimer(this.#host.options.timeout, () => this.#probeFailed());
    const websocket = new WebSocketTransport(this.#host, (...[report, packet]) => {
      if (report === Report.Open) websocket.send(['2probe']);
      else if (report === Report.Packet && packet === '3probe' && this.#state === State.Open) {
        rememberWebsocket(true);
        this.#state = State.Pausing;
        this.#checkPaused();
      } else if (report !== Report.Drain) this.#probeFailed();
    });
    this.#probeSocket = websocket;
  }

  /** The probe failed: its WebSocket closes and polling goes on (and tries again later after a fallback). */
  #probeFailed(): void {
    this.#abandonProbe();
    rememberWebsocket(false);
    // A GET still in flight polls again when it ends; one that ended while pausing left none.
    if (this.#state === State.Pausing) {
      this.#state = State.Open;
      if (this.#poll === undefined) this.#startPoll();
      // What the session held back while pausing can go now.
      this.listener(Report.Open);
    }
    if (this.#probeRetryDelay > 0) this.#scheduleProbe();
  }

  /** Gives the upgrade attempt in flight (or the timer of the next one) up. */
  #abandonProbe(): void {
    clearTimeout(this.#probeTimer);
    this.#probeTimer = undefined;
    this.#probeSocket?.close();
    this.#probeSocket = undefined;
  }

  shutdown(packets: readonly Outgoing[]): void {
    this.#state = State.Closed;
    this.listener = ignore;
    this.#abandonProbe();
    this.#final = encodePayload([...packets, '1']);
    // One POST at a time: the server refuses overlapping ones.
    if (!this.#posting) this.#sendFinal();
  }

  close(): void {
    if (this.#state === State.Closed) return;
    this.#state = State.Closed;
    this.listener = ignore;
    this.#abandonProbe();
    this.#poll?.abort();
    this.#poll = undefined;
  }

  #posted(error: TransportError | undefined): void {
    this.#posting = false;
    if (this.#final !== undefined) this.#sendFinal();
    if (error) this.#fail(error);
    else if (this.#state !== State.Closed) {
      this.listener(Report.Drain);
      this.#checkPaused();
    }
  }

  #startPoll(): void {
    const controller = new AbortController();
    this.#poll = controller;
    this.#request(undefined, controller.signal).then(
      (text) => {
        if (this.#poll !== controller) return;
        this.#poll = undefined;
        this.#receive(text);
      },
      (error: unknown) => {
        if (this.#poll === controller) this.#fail(error as TransportError);
      },
    );
  }

  /**
   * The last POST: the packets still to send and `close`. The GET is left to end by itself until it
   * is answered: a poll aborted first is a transport error to the server, which would then drop
   * what this POST carries.
   */
  #sendFinal(): void {
    const body = this.#final!;
    this.#final = undefined;
    this.#posting = true;
    const ended = (): void => {
      this.#posting = false;
      this.#poll?.abort();
      this.#poll = undefined;
    };
    this.#request(body).then(ended, ended);
  }

  /** One GET (no `body`) or POST; resolves with the body of a 200 answer, rejects with a {@link TransportError} only. */
  async #request(body?: string, signal?: AbortSignal): Promise<string> {
    const { platform, options } = this.#host;
    const message = body === undefined ? 'xhr poll error' : 'xhr post error';
    let status: number;
    let text: string;
    try {
      const response = await platform.fetch(timestamped(this.#host.url('polling'), options), {
        method: body === undefined ? 'GET' : 'POST',
        body: body ?? null,
        signal: signal ?? null,
        credentials: options.withCredentials ? 'include' : 'same-origin',
        headers:
          body === undefined
            ? options.extraHeaders
            : { ...options.extraHeaders, 'content-type': 'text/plain;charset=UTF-8' },
      });
      status = response.status;
      text = await response.text();
    } catch (error) {
      throw new TransportError(message, error);
    }
    if (status !== 200) throw httpError(message, status, text);
    return text;
  }

  #receive(text: string): void {
    // Checked whole before any of it is delivered: a payload with a bad packet delivers nothing.
    const packets: Wire[] = [];
    for (const part of text.split(SEPARATOR)) {
      const packet = decodePacket(part);
      if (packet instanceof TransportError) {
        this.#fail(packet);
        return;
      }
      packets.push(packet);
    }
    for (const packet of packets) {
      // The listener may have closed the transport (a `close` packet, a bad handshake).
      if (this.#state === State.Closed) return;
      this.listener(Report.Packet, packet);
    }
    if (this.#state === State.Open) this.#startPoll();
    else this.#checkPaused();
  }

  /**
   * While pausing: once the GET and the POST in flight are done, closes, sends the upgrade packet
   * (`5`) on the WebSocket and reports `Upgraded`.
   */
  #checkPaused(): void {
    if (this.#state !== State.Pausing || this.#poll !== undefined || this.#posting) return;
    const websocket = this.#probeSocket!;
    const listener = this.listener;
    // Taken from the probe first: closing gives the probe up (its timer with it) but keeps this socket.
    this.#probeSocket = undefined;
    this.close();
    websocket.listener = listener;
    // The upgrade packet first: what the session's `upgrade` listeners send waits for its drain.
    websocket.send(['5']);
    listener(Report.Upgraded, websocket);
  }

  #fail(error: TransportError): void {
    if (this.#state === State.Closed) return;
    const listener = this.listener;
    this.close();
    listener(Report.Error, error);
  }
}
