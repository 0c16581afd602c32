/**
 * HTTP long-polling over `fetch` (Engine.IO protocol v4, "HTTP long-polling"): one GET in flight at
 * a time waiting for the server's packets, one POST at a time carrying the client's; and the
 * upgrade from it to a WebSocket.
 */
import { toBase64 } from '../../protocol/base64.js';
import { packetsThatFit } from './payload-size.js';
import {
  PARSE_ERROR,
  Report,
  TransportError,
  checkPacket,
  ignore,
  startTimer,
  type ClientTransport,
  type TransportClass,
  type TransportHost,
  type TransportListener,
  type Outgoing,
  type UpgradeHost,
  type Wire,
  wireOf,
} from './transport.js';

/** The record separator (U+001E) between the packets of a payload. */
const SEPARATOR = '\x1e';

/** Where the transport stands. `Pausing`: no new GET, `onPaused` waits for what is in flight. */
const enum State {
  Open,
  Pausing,
  Paused,
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
  #onPaused: (() => void) | undefined;
  /** The payload {@link shutdown} sends once the POST in flight is done. */
  #final: string | undefined;

  constructor(host: TransportHost, listener: TransportListener) {
    this.#host = host;
    this.listener = listener;
    this.#startPoll();
  }

  get writable(): boolean {
    return this.#state !== State.Closed && !this.#posting;
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

  /**
   * Moves `session` onto a WebSocket (Engine.IO protocol v4, "Upgrade"): open one with the session
   * id, send `2probe`, expect `3probe`, wait for the GET and the POST in flight, then hand the
   * WebSocket over (the session sends `5` on it). Until then the probe is the WebSocket's listener.
   * It fails by itself when not through within the session's `timeout`.
   */
  probe(session: UpgradeHost, WebSocket: TransportClass): () => void {
    let answered = false;
    const abandon = (): void => {
      clearTimeout(timer);
      websocket.close();
    };
    const fail = (): void => {
      abandon();
      // A GET still in flight polls again when it ends; one that ended while pausing left none.
      if (this.#state === State.Pausing) {
        this.#state = State.Open;
        this.#onPaused = undefined;
        if (this.#poll === undefined) this.#startPoll();
      }
      session._probeFailed();
    };
    const timer = startTimer(session.options.timeout, fail);
    const websocket = new WebSocket(session, (...[report, packet]) => {
      if (report === Report.Open) websocket.send(['2probe']);
      else if (report === Report.Packet && packet === '3probe' && !answered) {
        answered = true;
        session._probeAnswered();
        this.#state = State.Pausing;
        this.#onPaused = () => {
          clearTimeout(timer);
          session._upgraded(websocket);
        };
        this.#checkPaused();
      } else if (report !== Report.Drain) fail();
    });
    return abandon;
  }

  shutdown(packets: readonly Outgoing[]): void {
    this.#state = State.Closed;
    this.listener = ignore;
    this.#final = encodePayload([...packets, '1']);
    // One POST at a time: the server refuses overlapping ones.
    if (!this.#posting) this.#sendFinal();
  }

  close(): void {
    if (this.#state === State.Closed) return;
    this.#state = State.Closed;
    this.listener = ignore;
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
      const response = await platform.fetch(this.#host.url('polling'), {
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

  /** While pausing: calls `onPaused` once the GET and the POST in flight are done. */
  #checkPaused(): void {
    if (this.#state !== State.Pausing || this.#poll !== undefined || this.#posting) return;
    this.#state = State.Paused;
    const onPaused = this.#onPaused!;
    this.#onPaused = undefined;
    onPaused();
  }

  #fail(error: TransportError): void {
    if (this.#state === State.Closed) return;
    const listener = this.listener;
    this.close();
    listener(Report.Error, error);
  }
}
