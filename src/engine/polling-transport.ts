import { Buffer } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { deflate, gzip } from 'node:zlib';
import {
  EngineErrorCode,
  EngineIOParseError,
  ParseErrorCode,
  PacketType,
  decodePayload,
  encodePayload,
  engineErrorBody,
  type Packet,
} from '../protocol/engine-io/index.js';
import { TransportName, type HttpCompressionOptions } from './options.js';
import { Transport, type WrittenCallback } from './transport.js';

/** Limits of one polling transport. */
export interface PollingOptions {
  /** Largest POST body in bytes; larger is answered 413 and fails the transport. */
  readonly maxHttpBufferSize: number;
  /** How long a close waits for the client's next GET to carry the `close` packet (ms). */
  readonly closeTimeout: number;
  /** Response compression, or `undefined` for none. */
  readonly httpCompression: Required<HttpCompressionOptions> | undefined;
}

type ContentEncoding = 'gzip' | 'deflate';

/**
 * The encoding to compress with, from an `Accept-Encoding` header (RFC 9110 §12.5.3): gzip if
 * acceptable, else deflate, else none. A coding with `q=0` is refused.
 */
export function pickEncoding(header: string | undefined): ContentEncoding | undefined {
  if (header === undefined) return undefined;
  const accepted = new Set<string>();
  for (const item of header.split(',')) {
    const [name, ...params] = item.trim().toLowerCase().split(';');
    const q = params.map((param) => param.trim()).find((param) => param.startsWith('q='));
    if (q !== undefined && !(Number(q.slice(2)) > 0)) continue;
    if (name) accepted.add(name.trim());
  }
  if (accepted.has('gzip') || accepted.has('*')) return 'gzip';
  if (accepted.has('deflate')) return 'deflate';
  return undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The HTTP long-polling transport (Engine.IO protocol v4, "Transports › HTTP long-polling"): a
 * held `GET` carries server packets, each `POST` carries client packets.
 */
export class PollingTransport extends Transport {
  readonly name = TransportName.Polling;
  readonly immediate = false;
  private pollResponse: ServerResponse | undefined;
  /** What the held poll's `Accept-Encoding` allows. */
  private pollEncoding: ContentEncoding | undefined;
  private onPollClosed: (() => void) | undefined;
  private dataRequest: IncomingMessage | undefined;
  private closePending = false;
  private closeTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: PollingOptions) {
    super();
  }

  /** Takes one HTTP request of this session: a `GET` to poll or a `POST` with packets. */
  onRequest(req: IncomingMessage, res: ServerResponse): void {
    if (req.method === 'GET') this.onPoll(res, pickEncoding(req.headers['accept-encoding']));
    else if (req.method === 'POST') this.onData(req, res);
    else respondError(res, 400, EngineErrorCode.BadRequest);
  }

  private onPoll(res: ServerResponse, encoding: ContentEncoding | undefined): void {
    if (this.pollResponse !== undefined || this.state === 'closed') {
      // Protocol v4, "Receiving data": a second GET MUST be answered 400 and close the session.
      this.onError('overlap from client');
      respondError(res, 400, EngineErrorCode.BadRequest);
      return;
    }
    this.pollResponse = res;
    this.pollEncoding = encoding;
    // A client that goes away while its poll is held fails the transport (as the reference server does).
    const onClose = (): void => {
      if (this.pollResponse === res) {
        this.releasePoll();
        this.onError('poll connection closed prematurely');
      }
    };
    this.onPollClosed = () => res.off('close', onClose);
    res.on('close', onClose);
    this.writable = true;
    if (this.closePending) {
      // The close packet rides behind a noop (`6\x1e1`), byte for byte as the reference server ends a
      // session closed while no poll was held; clients skip the noop.
      this.send([{ type: PacketType.Noop }]);
      return;
    }
    this.listener?.onTransportReady();
  }

  private onData(req: IncomingMessage, res: ServerResponse): void {
    if (this.dataRequest !== undefined) {
      // Protocol v4, "Sending data": overlapping POSTs MUST be answered 400 and close the session.
      this.onError('data request overlap from client');
      respondError(res, 400, EngineErrorCode.BadRequest);
      return;
    }
    // Protocol v4 always sends binary as base64 text; a binary body is a client of another revision.
    if (req.headers['content-type'] === 'application/octet-stream') {
      this.onError('invalid content');
      respondError(res, 400, EngineErrorCode.BadRequest);
      return;
    }
    const limit = this.options.maxHttpBufferSize;
    const declared = Number(req.headers['content-length']);
    if (declared > limit) {
      this.rejectTooLarge(res);
      return;
    }
    this.dataRequest = req;
    const chunks: Buffer[] = [];
    let length = 0;
    const cleanup = (): void => {
      req.off('data', onChunk);
      req.off('end', onEnd);
      res.off('close', onClose);
      if (this.dataRequest === req) this.dataRequest = undefined;
    };
    const onChunk = (chunk: Buffer): void => {
      length += chunk.length;
      if (length > limit) {
        cleanup();
        // Keep reading (and dropping) so the 413 reaches the client instead of a reset.
        req.resume();
        this.rejectTooLarge(res);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      this.onPayload(Buffer.concat(chunks, length), res);
    };
    const onClose = (): void => {
      cleanup();
      this.onError('data request connection closed prematurely');
    };
    req.on('data', onChunk);
    req.on('end', onEnd);
    res.on('close', onClose);
  }

  private rejectTooLarge(res: ServerResponse): void {
    res.writeHead(413, { Connection: 'close', 'Content-Type': 'text/plain; charset=UTF-8' });
    res.end('Payload Too Large');
    this.onError('payload too large');
  }

  private onPayload(body: Buffer, res: ServerResponse): void {
    let packets: Packet[];
    try {
      packets = decodePayload(utf8.decode(body));
    } catch (error) {
      respondError(res, 400, EngineErrorCode.BadRequest);
      this.listener?.onTransportParseError(
        error instanceof EngineIOParseError
          ? error
          : new EngineIOParseError(ParseErrorCode.InvalidUtf8, 'payload is not valid UTF-8'),
      );
      return;
    }
    res.writeHead(200, {
      // text/html rather than text/plain keeps old browsers from offering a download (as the
      // reference server answers).
      'Content-Type': 'text/html',
      'Content-Length': '2',
      'Cache-Control': 'no-store',
    });
    res.end('ok');
    for (const packet of packets) {
      if (this.state === 'closed') return;
      if (packet.type === PacketType.Close) {
        this.onClosed();
        return;
      }
      this.listener?.onTransportPacket(packet);
    }
  }

  send(packets: Packet[], compress = true, written?: WrittenCallback): void {
    const res = this.pollResponse;
    if (res === undefined) return;
    const encoding = this.pollEncoding;
    this.writable = false;
    this.releasePoll();
    const closing = this.closePending;
    if (closing) packets.push({ type: PacketType.Close });
    const payload = encodePayload(packets);
    const length = Buffer.byteLength(payload);
    const compression = this.options.httpCompression;
    if (
      compress &&
      !closing &&
      encoding !== undefined &&
      compression !== undefined &&
      length >= compression.threshold
    ) {
      (encoding === 'gzip' ? gzip : deflate)(payload, { level: compression.level }, (error, body) => {
        if (error) respondPayload(res, payload, length);
        else respondPayload(res, body, body.length, encoding);
        written?.();
      });
      return;
    }
    respondPayload(res, payload, length);
    if (closing) {
      this.finishClose();
      return;
    }
    written?.();
  }

  private releasePoll(): void {
    this.onPollClosed?.();
    this.onPollClosed = undefined;
    this.pollResponse = undefined;
    this.writable = false;
  }

  protected doClose(): void {
    this.dataRequest?.destroy();
    this.dataRequest = undefined;
    if (this.writable) {
      this.send([{ type: PacketType.Close }]);
      this.finishClose();
    } else if (this.discarded) {
      this.finishClose();
    } else {
      // No poll is held: the close packet rides on the client's next GET, if it comes in time.
      this.closePending = true;
      this.closeTimer = setTimeout(() => this.finishClose(), this.options.closeTimeout);
    }
  }

  override discard(): void {
    super.discard();
    // Nobody will poll a replaced transport again: a close waiting for the next GET ends now.
    if (this.closePending) this.finishClose();
  }

  /** Ends a close: the timer waiting for the next GET is cleared by {@link onClosed}. */
  private finishClose(): void {
    this.closePending = false;
    this.onClosed();
  }

  protected override onClosed(): void {
    clearTimeout(this.closeTimer);
    this.closeTimer = undefined;
    if (this.pollResponse !== undefined && this.state !== 'closing') {
      // Closed by the client while a poll is held: end it so the request does not hang.
      this.send([{ type: PacketType.Noop }]);
    }
    this.releasePoll();
    super.onClosed();
  }
}

/** Answers a poll with a payload, compressed when `encoding` says so. */
function respondPayload(res: ServerResponse, body: string | Buffer, length: number, encoding?: ContentEncoding): void {
  res.writeHead(200, {
    'Content-Type': 'text/plain; charset=UTF-8',
    'Content-Length': String(length),
    'Cache-Control': 'no-store',
    ...(encoding === undefined ? {} : { 'Content-Encoding': encoding, Vary: 'Accept-Encoding' }),
  });
  res.end(body);
}

/** Answers a request with an Engine.IO error body. */
export function respondError(res: ServerResponse, status: number, code: EngineErrorCode, message?: string): void {
  if (res.headersSent) {
    if (!res.writableEnded) res.end();
    return;
  }
  const body = engineErrorBody(code, message);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) });
  res.end(body);
}
