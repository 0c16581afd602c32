/**
 * HTTP long-polling over `fetch` (Engine.IO protocol v4, "HTTP long-polling"): one GET in flight at
 * a time waiting for the server's packets, one POST at a time carrying the client's.
 */
import {
  EngineIOParseError,
  PacketType,
  decodePayload,
  encodePayload,
  type Packet,
} from '../../protocol/engine-io/index.js';
import type { Endpoint } from './endpoint.js';
import { packetsThatFit } from './payload-size.js';
import { DETACHED, PARSE_ERROR, TransportError, type ClientTransport, type TransportListener } from './transport.js';
import type { ClientPlatform, EngineSocketOptions } from './types.js';
import { UpgradeProbe, type ProbeHost } from './upgrade-probe.js';

/** Why a request failed: what its {@link TransportError} says. */
type Direction = 'poll' | 'post';

/** Where the transport stands. `pausing`: no new GET, `onPaused` waits for what is in flight. */
type PollingState = 'open' | 'pausing' | 'paused' | 'closed';

/**
 * The error of a refused request: the status as the description, and the server's JSON error body
 * (`{"code": 1, "message": "Session ID unknown"}`) in the context when there is one.
 */
function httpError(direction: Direction, status: number, body: string): TransportError {
  let code: unknown;
  let message: unknown;
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === 'object' && parsed !== null) ({ code, message } = parsed as Record<string, unknown>);
  } catch {
    // Not JSON (a proxy's error page): the status is all there is to tell.
  }
  return new TransportError(`xhr ${direction} error`, status, {
    status,
    ...(typeof code === 'number' ? { code } : {}),
    ...(typeof message === 'string' ? { message } : {}),
  });
}

/**
 * The long-polling transport. Error messages (`xhr poll error`, `xhr post error`) are those of
 * `engine.io-client`'s default transport, which applications match in `connect_error` handlers.
 */
export class PollingTransport implements ClientTransport {
  readonly name = 'polling';
  listener: TransportListener = DETACHED;
  sid: string | undefined;
  readonly #endpoint: Endpoint;
  readonly #platform: ClientPlatform;
  readonly #credentials: NonNullable<RequestInit['credentials']>;
  readonly #headers: Readonly<Record<string, string>>;
  /** The headers of a POST: the user's and the body's type, built once. */
  readonly #postHeaders: Readonly<Record<string, string>>;
  #state: PollingState = 'open';
  /** Aborts the GET in flight; `undefined` when none is. */
  #poll: AbortController | undefined;
  #posting = false;
  #onPaused: (() => void) | undefined;
  /** The payload {@link shutdown} sends once the POST in flight is done. */
  #final: string | undefined;

  constructor(endpoint: Endpoint, platform: ClientPlatform, options: EngineSocketOptions, sid: string | undefined) {
    this.#endpoint = endpoint;
    this.#platform = platform;
    this.sid = sid;
    this.#credentials = options.withCredentials ? 'include' : 'same-origin';
    this.#headers = { ...options.extraHeaders };
    this.#postHeaders = { ...options.extraHeaders, 'content-type': 'text/plain;charset=UTF-8' };
  }

  get writable(): boolean {
    return this.#state !== 'closed' && !this.#posting;
  }

  open(): void {
    this.#startPoll();
  }

  send(packets: readonly Packet[], maxPayload?: number): number {
    const count = maxPayload === undefined ? packets.length : packetsThatFit(packets, maxPayload);
    this.#posting = true;
    this.#post(encodePayload(packets.slice(0, count))).then(
      () => {
        this.#posting = false;
        if (this.#final !== undefined) this.#sendFinal();
        if (this.#state === 'closed') return;
        this.listener.onTransportDrain();
        if (this.#state === 'pausing') this.#checkPaused();
      },
      (error: unknown) => {
        this.#posting = false;
        if (this.#final !== undefined) this.#sendFinal();
        this.#fail(error, 'post');
      },
    );
    return count;
  }

  probe(candidate: ClientTransport, host: ProbeHost, timeout: number): UpgradeProbe {
    return new UpgradeProbe(candidate, host, timeout);
  }

  pause(onPaused: () => void): void {
    this.#state = 'pausing';
    this.#onPaused = onPaused;
    this.#checkPaused();
  }

  resume(): void {
    this.#state = 'open';
    this.#onPaused = undefined;
    // A GET still in flight polls again when it ends; one that ended while pausing left none.
    if (this.#poll === undefined) this.#startPoll();
  }

  shutdown(packets: readonly Packet[]): void {
    this.#state = 'closed';
    this.listener = DETACHED;
    this.#final = encodePayload([...packets, { type: PacketType.Close }]);
    // One POST at a time: the server refuses overlapping ones.
    if (!this.#posting) this.#sendFinal();
  }

  close(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.listener = DETACHED;
    this.#poll?.abort();
    this.#poll = undefined;
  }

  #startPoll(): void {
    const controller = new AbortController();
    this.#poll = controller;
    this.#request('GET', undefined, controller.signal).then(
      (text) => {
        if (this.#poll !== controller) return;
        this.#poll = undefined;
        this.#receive(text);
      },
      (error: unknown) => {
        if (this.#poll === controller) this.#fail(error, 'poll');
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
    this.#post(body).then(ended, ended);
  }

  #post(body: string): Promise<string> {
    return this.#request('POST', body, undefined);
  }

  /** One request; resolves with the body of a 200 answer, rejects with a {@link TransportError}. */
  async #request(method: 'GET' | 'POST', body: string | undefined, signal: AbortSignal | undefined): Promise<string> {
    const init: RequestInit = { method, credentials: this.#credentials, headers: this.#headers };
    if (body !== undefined) {
      init.body = body;
      init.headers = this.#postHeaders;
    }
    if (signal !== undefined) init.signal = signal;
    const direction: Direction = body === undefined ? 'poll' : 'post';
    let text: string;
    let status: number;
    try {
      const response = await this.#platform.fetch(this.#endpoint.polling(this.sid), init);
      status = response.status;
      text = await response.text();
    } catch (error) {
      throw new TransportError(`xhr ${direction} error`, error);
    }
    if (status !== 200) throw httpError(direction, status, text);
    return text;
  }

  #receive(text: string): void {
    let packets: Packet[];
    try {
      packets = decodePayload(text);
    } catch (error) {
      this.#fail(error, 'poll');
      return;
    }
    for (const packet of packets) {
      // The listener may have closed the transport (a `close` packet, a bad handshake).
      if (this.#state === 'closed') return;
      this.listener.onTransportPacket(packet);
    }
    if (this.#state === 'open') this.#startPoll();
    else if (this.#state === 'pausing') this.#checkPaused();
  }

  #checkPaused(): void {
    if (this.#poll !== undefined || this.#posting) return;
    this.#state = 'paused';
    const onPaused = this.#onPaused!;
    this.#onPaused = undefined;
    onPaused();
  }

  #fail(error: unknown, direction: Direction): void {
    if (this.#state === 'closed') return;
    const listener = this.listener;
    this.close();
    listener.onTransportError(
      error instanceof TransportError
        ? error
        : new TransportError(error instanceof EngineIOParseError ? PARSE_ERROR : `xhr ${direction} error`, error),
    );
  }
}
