import { Buffer } from 'node:buffer';
import type { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { createDebugLog } from '../diagnostics/debug.js';
import { ENGINE_ERROR_MESSAGES, EngineErrorCode } from '../protocol/engine-io/index.js';
import type { Refusal } from './allow-request.js';
import { TransportName } from './options.js';
import { RelayedExchange } from './relayed-exchange.js';
import { RelayedWebSocketTransport, WebSocketRelay } from './relayed-websocket.js';
import type { RelayedRefusal, RelayedRequest, RelayedResponse, RelayedStream, SessionRelay } from './session-relay.js';
import type { EngineSocket } from './socket.js';

const debug = createDebugLog('engine');

/** What a bridge needs of its engine. */
export interface RelayBridgeSettings {
  /** The engine's sessions by id. */
  readonly sessions: ReadonlyMap<string, EngineSocket>;
  /**
   * Largest POST body the receiving node reads, and largest relayed WebSocket message the holder
   * takes, in bytes (`maxHttpBufferSize`).
   */
  readonly maxHttpBufferSize: number;
  /**
   * How long a relayed poll may be held, in ms: the holder answers a poll at the latest with its
   * next ping (`pingInterval`), and a session whose client has not answered within `pingTimeout`
   * of that is over anyway. For the same reason, how long a relayed WebSocket may hear nothing
   * from the holder.
   */
  readonly pollDeadline: number;
  /** How long a relayed POST, or the opening of a relayed WebSocket, may take, in ms. */
  readonly dataDeadline: number;
}

/** The request headers the polling transport reads, and so the only ones relayed. */
const RELAYED_HEADERS = ['accept-encoding', 'content-type'] as const;

/**
 * An engine's side of a {@link SessionRelay}: it forwards the polling requests of sessions other
 * nodes hold, and serves those other nodes forward for sessions it holds. Every relayed request
 * has a deadline on both sides. With a relay that opens streams, WebSocket upgrades go the same
 * way: this node answers the client's handshake, and the holder's session upgrades over the stream.
 */
export class RelayBridge {
  /** What the ids of this node's sessions start with. */
  readonly idPrefix: string;

  constructor(
    private readonly relay: SessionRelay,
    private readonly settings: RelayBridgeSettings,
  ) {
    this.idPrefix = `${relay.nodeId}.`;
    relay.serve(
      (request, signal) => this.serve(request, signal),
      (sid, stream) => this.adopt(sid, stream),
    );
  }

  /**
   * Whether a request for the session `sid`, which this node does not hold, goes to the relay: a
   * poll or a POST of the polling transport, or an upgrade to WebSocket if the relay opens
   * streams, for a session of another node. (A session of this node that is not here has closed:
   * no other node holds it either.)
   */
  relays(sid: string, transport: string | null, method: string | undefined, upgrade: boolean): boolean {
    if (sid.startsWith(this.idPrefix)) return false;
    if (upgrade) return transport === TransportName.WebSocket && this.relay.open !== undefined;
    return transport === TransportName.Polling && (method === 'GET' || method === 'POST');
  }

  /**
   * Asks the holder of `sid` to take the WebSocket whose upgrade request came on `socket`, within
   * the deadline of a POST; resolves with the relay to join to the WebSocket once the handshake
   * completes, or with the refusal to answer (the holder's, or "Session ID unknown" when no live
   * node holds the session, none answered in time, or the client left).
   */
  async open(sid: string, socket: Duplex): Promise<WebSocketRelay | Refusal> {
    const exchange = new ExchangeSignal(this.settings.dataDeadline, socket);
    const opened = await this.relay.open!(sid, exchange.signal).catch((error: unknown) => {
      debug('relaying the upgrade of session %s failed: %o', sid, error);
      return undefined;
    });
    exchange.release();
    if (opened === undefined) return { code: EngineErrorCode.UnknownSid, context: { sid, relayed: true } };
    if (!('send' in opened)) return relayedRefusal(sid, opened);
    const relayed = new WebSocketRelay(opened, this.settings.pollDeadline);
    if (socket.destroyed) relayed.abandon();
    else socket.once('close', () => relayed.abandon());
    return relayed;
  }

  /** Stops serving relayed requests (the engine closed). */
  stop(): void {
    this.relay.close();
  }

  /**
   * Forwards a request for a session another node holds and writes its answer; `unknown` answers
   * the request when no live node holds the session, or none answered in time.
   */
  forward(req: IncomingMessage, res: ServerResponse, sid: string, unknown: () => void): void {
    const deadline = req.method === 'GET' ? this.settings.pollDeadline : this.settings.dataDeadline;
    // A client that leaves ends the relayed request too: a held poll fails its transport, as locally.
    const exchange = new ExchangeSignal(deadline, res);
    const { signal } = exchange;
    const finish = (answer: RelayedResponse | undefined): void => {
      exchange.release();
      if (res.writableEnded || res.destroyed) return;
      if (answer === undefined) {
        unknown();
        return;
      }
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body);
    };
    void this.readRequest(req, sid, signal)
      .then((request) => (signal.aborted ? undefined : this.relay.forward(request, signal)))
      .catch((error: unknown) => {
        debug('relaying a %s of session %s failed: %o', req.method, sid, error);
        return undefined;
      })
      .then(finish);
  }

  /**
   * Reads a request into what the relay carries. A POST's body is read up to `maxHttpBufferSize`:
   * past it (declared or sent), the rest is drained unread and the holder is told only the length,
   * so it refuses the POST (413, and the transport fails) as it refuses its own.
   */
  private readRequest(req: IncomingMessage, sid: string, signal: AbortSignal): Promise<RelayedRequest> {
    const headers: Record<string, string> = {};
    for (const name of RELAYED_HEADERS) {
      const value = req.headers[name];
      if (value !== undefined) headers[name] = value;
    }
    const empty = new Uint8Array(0);
    if (req.method !== 'POST') return Promise.resolve({ sid, method: 'GET', headers, body: empty });
    const limit = this.settings.maxHttpBufferSize;
    const declared = Number(req.headers['content-length']);
    if (declared > limit) {
      req.resume();
      return Promise.resolve({
        sid,
        method: 'POST',
        headers: { ...headers, 'content-length': String(declared) },
        body: empty,
      });
    }
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      let length = 0;
      const done = (): void => {
        req.off('data', onChunk);
        req.off('end', done);
        signal.removeEventListener('abort', done);
        const body = length > limit ? empty : Buffer.concat(chunks, length);
        resolve({ sid, method: 'POST', headers: { ...headers, 'content-length': String(length) }, body });
      };
      const onChunk = (chunk: Buffer): void => {
        length += chunk.length;
        if (length <= limit) {
          chunks.push(chunk);
          return;
        }
        // Past the limit: the rest is drained unread, and the holder refuses the POST by its length.
        req.resume();
        done();
      };
      req.on('data', onChunk);
      req.on('end', done);
      // The client left mid-body: the caller sees the abort and relays nothing.
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /**
   * Takes a WebSocket another node relays for a session of this node: the session upgrades over
   * it as over a WebSocket of its own; refused as a local upgrade is, when there is no such
   * session or it cannot upgrade (any more).
   */
  private adopt(sid: string, stream: RelayedStream): RelayedRefusal | undefined {
    const session = this.settings.sessions.get(sid);
    if (session === undefined) return { code: EngineErrorCode.UnknownSid };
    if (!session.canUpgrade) return { code: EngineErrorCode.BadRequest, name: 'TRANSPORT_UPGRADE_ERROR' };
    session.upgradeTo(new RelayedWebSocketTransport(stream, this.settings.maxHttpBufferSize));
    return undefined;
  }

  /** Runs a request another node relayed against the session it names, within the same deadline. */
  private async serve(request: RelayedRequest, signal: AbortSignal): Promise<RelayedResponse | undefined> {
    const session = this.settings.sessions.get(request.sid);
    if (session === undefined || signal.aborted) return undefined;
    const exchange = new RelayedExchange(request);
    const deadline = request.method === 'GET' ? this.settings.pollDeadline : this.settings.dataDeadline;
    const timer = setTimeout(() => exchange.abort(), deadline);
    const onAbort = (): void => exchange.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    session.handlePollingRequest(exchange.request, exchange.response);
    try {
      return await exchange.answer;
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }
}

/**
 * What bounds a relayed exchange on the node that received it: `signal` aborts at the deadline, or
 * when the client's connection closes (the client left); `release` lets go of both once it is over.
 */
class ExchangeSignal {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly onClose = (): void => this.controller.abort();

  constructor(
    deadline: number,
    private readonly client: EventEmitter,
  ) {
    this.timer = setTimeout(this.onClose, deadline);
    client.once('close', this.onClose);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  release(): void {
    clearTimeout(this.timer);
    this.client.off('close', this.onClose);
  }
}

/** The holder's refusal of a relayed upgrade, as this node answers it; a code it does not know is "Bad request". */
function relayedRefusal(sid: string, refusal: RelayedRefusal): Refusal {
  const code = Object.hasOwn(ENGINE_ERROR_MESSAGES, refusal.code)
    ? (refusal.code as EngineErrorCode)
    : EngineErrorCode.BadRequest;
  const context = refusal.name === undefined ? { sid, relayed: true } : { sid, relayed: true, name: refusal.name };
  return { code, context };
}
