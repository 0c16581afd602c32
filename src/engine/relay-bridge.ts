import { Buffer } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createDebugLog } from '../diagnostics/debug.js';
import { RelayedExchange } from './relayed-exchange.js';
import type { RelayedRequest, RelayedResponse, SessionRelay } from './session-relay.js';
import type { EngineSocket } from './socket.js';

const debug = createDebugLog('engine');

/** What a bridge needs of its engine. */
export interface RelayBridgeSettings {
  /** The engine's sessions by id. */
  readonly sessions: ReadonlyMap<string, EngineSocket>;
  /** Largest POST body the receiving node reads, in bytes (`maxHttpBufferSize`). */
  readonly maxHttpBufferSize: number;
  /**
   * How long a relayed poll may be held, in ms: the holder answers a poll at the latest with its
   * next ping (`pingInterval`), and a session whose client has not answered within `pingTimeout`
   * of that is over anyway.
   */
  readonly pollDeadline: number;
  /** How long a relayed POST may take, in ms. */
  readonly dataDeadline: number;
}

/** The request headers the polling transport reads, and so the only ones relayed. */
const RELAYED_HEADERS = ['accept-encoding', 'content-type'] as const;

/**
 * An engine's side of a {@link SessionRelay}: it forwards the polling requests of sessions other
 * nodes hold, and serves those other nodes forward for sessions it holds. Every relayed request
 * has a deadline on both sides.
 */
export class RelayBridge {
  /** What the ids of this node's sessions start with. */
  readonly idPrefix: string;

  constructor(
    private readonly relay: SessionRelay,
    private readonly settings: RelayBridgeSettings,
  ) {
    this.idPrefix = `${relay.nodeId}.`;
    relay.serve((request, signal) => this.serve(request, signal));
  }

  /**
   * Whether a request for the session `sid`, which this node does not hold, goes to the relay: a
   * poll or a POST of the polling transport, for a session of another node. (A session of this
   * node that is not here has closed: no other node holds it either.)
   */
  relays(sid: string, transport: string | null, method: string | undefined): boolean {
    return transport === 'polling' && (method === 'GET' || method === 'POST') && !sid.startsWith(this.idPrefix);
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
    const controller = new AbortController();
    const deadline = req.method === 'GET' ? this.settings.pollDeadline : this.settings.dataDeadline;
    const timer = setTimeout(() => controller.abort(), deadline);
    // A client that leaves ends the relayed request too: a held poll fails its transport, as locally.
    const onClose = (): void => controller.abort();
    res.on('close', onClose);
    const finish = (answer: RelayedResponse | undefined): void => {
      clearTimeout(timer);
      res.off('close', onClose);
      if (res.writableEnded || res.destroyed) return;
      if (answer === undefined) {
        unknown();
        return;
      }
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body);
    };
    void this.readRequest(req, sid, controller.signal)
      .then((request) => (controller.signal.aborted ? undefined : this.relay.forward(request, controller.signal)))
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
