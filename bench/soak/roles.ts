/**
 * What each role of the soak run does, as a loop that runs until the run stops: connect, do its
 * thing, note what the server answered, pause, and start again. Every loop is bounded by the run's
 * end and by a count; every wait by a deadline.
 */
import { Buffer } from 'node:buffer';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { constants, deflateRawSync } from 'node:zlib';
import type { LatencyHistogram } from '../lib/histogram.js';
import { clientFrame, Opcode, RSV1, SoakPeer } from './peer.js';
import { Role, type RoleOutcome, type SoakServerKind } from './protocol.js';

/** Largest message each server accepts by default: `maxPayload` (100 MiB) and `maxHttpBufferSize` (1 MB). */
const DEFAULT_MAX_MESSAGE: Record<SoakServerKind, number> = { ws: 100 * 1024 * 1024, io: 1_000_000 };
/** No role loops more often than this many times. */
const MAX_ATTEMPTS = 100_000;
/** The pause between two attempts of a role. */
const PAUSE_MS = 1000;
const TIMEOUT_MS = 10_000;

/** What every role's loop shares. */
export interface RoleContext {
  readonly kind: SoakServerKind;
  readonly port: number;
  readonly localAddress: string;
  /** Whether the run is stopping: every loop checks it. */
  readonly stopping: () => boolean;
  /** Resolves when the run stops. */
  readonly stopped: Promise<void>;
  /** Resolves after `ms`, or as soon as the run stops. */
  readonly pause: (ms: number) => Promise<void>;
  /** Where healthy clients record their round trips (microseconds), and count the lost ones. */
  readonly latency: { readonly interval: LatencyHistogram; readonly total: LatencyHistogram; lost: number };
  /** Every peer open now, so the run's end can drop them all. */
  readonly peers: Set<SoakPeer>;
}

/** Counts one outcome of a role. */
function tally(outcome: RoleOutcome, what: string): void {
  outcome.outcomes[what] = (outcome.outcomes[what] ?? 0) + 1;
}

/** The URL path a role's WebSocket asks for: the role names itself so the server can sort its connections. */
function webSocketPath(kind: SoakServerKind, role: Role): string {
  return kind === 'ws' ? `/${role}` : `/socket.io/?EIO=4&transport=websocket&role=${role}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves with `true` once `condition()` holds (checked every `step` ms), or with `false` after `timeoutMs`. */
async function until(condition: () => boolean, timeoutMs: number, step = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await sleep(step);
  }
  return true;
}

/**
 * Opens a WebSocket for `role`; on the realtime server, waits for the Engine.IO `open` packet and,
 * with `join`, for the CONNECT of the main namespace.
 */
async function openPeer(
  context: RoleContext,
  role: Role,
  options: { join?: boolean; extensions?: string } = {},
): Promise<SoakPeer> {
  const peer = await SoakPeer.open({
    port: context.port,
    path: webSocketPath(context.kind, role),
    localAddress: context.localAddress,
    extensions: options.extensions,
    engine: context.kind === 'io',
    timeoutMs: TIMEOUT_MS,
  });
  context.peers.add(peer);
  void peer.closed.then(() => context.peers.delete(peer));
  if (context.kind === 'ws') return peer;
  const texts: string[] = [];
  peer.onData = (opcode, payload) => {
    if (opcode === Opcode.Text) texts.push(payload.toString());
  };
  const failed = (reason: string): never => {
    peer.destroy();
    throw new Error(reason);
  };
  if (!(await until(() => texts.some((text) => text.startsWith('0')) || !peer.open, TIMEOUT_MS)))
    failed('no open packet');
  if (options.join !== false) {
    peer.sendText('40');
    if (!(await until(() => texts.some((text) => text.startsWith('40')) || !peer.open, TIMEOUT_MS)))
      failed('no CONNECT answer');
  }
  if (!peer.open) failed(`closed while opening (${peer.closeCode ?? 'no close frame'})`);
  peer.onData = () => undefined;
  return peer;
}

/** What ended a peer: its close code, or the bare fact that TCP closed. */
function endOf(peer: SoakPeer): string {
  return peer.closeCode === undefined ? 'closed without a close frame' : `close ${peer.closeCode}`;
}

/**
 * Runs `attempt` again and again until the run stops, pausing between attempts; a thrown error (a
 * refused handshake, say) counts as that attempt's outcome.
 */
async function repeat(context: RoleContext, outcome: RoleOutcome, attempt: () => Promise<string>): Promise<void> {
  while (!context.stopping() && outcome.attempts < MAX_ATTEMPTS) {
    outcome.attempts++;
    let result: string;
    try {
      result = await attempt();
    } catch (error) {
      result = `failed: ${(error as Error).message.split('\r\n')[0]}`;
    }
    // The end of the run drops every connection: what an attempt saw then is not the server's doing.
    tally(outcome, context.stopping() ? 'still going at the end of the run' : result);
    await context.pause(PAUSE_MS);
  }
}

/** Measures round trips every 100 ms: an echo (WebSocket server) or an acknowledged `echo` event (realtime server). */
function healthy(context: RoleContext, outcome: RoleOutcome): Promise<void> {
  return repeat(context, outcome, async () => {
    const peer = await openPeer(context, Role.Healthy);
    // The round trip in flight ends on its reply itself (not on a poll), so the time is exact.
    let waiting: { readonly sequence: number; readonly end: (answered: boolean) => void } | undefined;
    peer.onData = (opcode, payload) => {
      if (opcode !== Opcode.Text || waiting === undefined) return;
      const text = payload.toString();
      const sequence =
        context.kind === 'ws' ? Number(text) : text.startsWith('43') ? Number.parseInt(text.slice(2), 10) : -1;
      if (sequence === waiting.sequence) waiting.end(true);
    };
    void peer.closed.then(() => waiting?.end(false));
    for (let sequence = 0; peer.open && !context.stopping(); sequence++) {
      const started = process.hrtime.bigint();
      const answered = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => end(false), 5000);
        const end = (result: boolean): void => {
          clearTimeout(timer);
          waiting = undefined;
          resolve(result);
        };
        waiting = { sequence, end };
        peer.sendText(context.kind === 'ws' ? String(sequence) : `42${sequence}["echo",${sequence}]`);
      });
      if (answered) {
        const micros = Number(process.hrtime.bigint() - started) / 1000;
        context.latency.interval.record(micros);
        context.latency.total.record(micros);
      } else if (peer.open) context.latency.lost++;
      await context.pause(100);
    }
    peer.destroy();
    return endOf(peer);
  });
}

/** Asks for 64 KiB echoes 20 times a second and never reads them. */
function slow(context: RoleContext, outcome: RoleOutcome): Promise<void> {
  const data = 'x'.repeat(64 * 1024 - 32);
  return repeat(context, outcome, async () => {
    const peer = await openPeer(context, Role.Slow);
    peer.stopReading();
    for (let sequence = 0; peer.open && !context.stopping() && sequence < 100_000; sequence++) {
      // The client's own buffer bounds what it sends: once the server stops reading, so does it.
      if (peer.socket.writableLength < 1024 * 1024)
        peer.sendText(context.kind === 'ws' ? data : `42${sequence}["echo","${data}"]`);
      await context.pause(50);
    }
    peer.destroy();
    return 'the server closed TCP';
  });
}

/** Floods 125-byte pings without reading until its own socket backs up, holds 20 s, then drops the connection. */
function pingFlood(context: RoleContext, outcome: RoleOutcome): Promise<void> {
  const ping = clientFrame(Opcode.Ping, Buffer.alloc(125, 0x70));
  const round = Buffer.concat(Array.from({ length: 500 }, () => ping));
  return repeat(context, outcome, async () => {
    const peer = await openPeer(context, Role.PingFlood);
    peer.stopReading();
    const deadline = Date.now() + TIMEOUT_MS;
    while (peer.open && peer.socket.writableLength < 1024 * 1024 && Date.now() < deadline && !context.stopping()) {
      peer.write(round);
      await sleep(10);
    }
    const pushedBack = peer.socket.writableLength >= 1024 * 1024;
    await context.pause(20_000);
    const end = peer.open ? (pushedBack ? 'pushed back: the server stopped reading' : 'not pushed back') : endOf(peer);
    peer.destroy();
    return end;
  });
}

/** Streams 1-byte continuation frames until the server closes the connection. */
function fragments(context: RoleContext, outcome: RoleOutcome): Promise<void> {
  const one = clientFrame(Opcode.Continuation, 'a', { fin: false });
  const batch = Buffer.concat(Array.from({ length: 1000 }, () => one));
  return repeat(context, outcome, async () => {
    const peer = await openPeer(context, Role.Fragments);
    peer.write(clientFrame(Opcode.Text, 'a', { fin: false }));
    for (
      let sent = 0;
      peer.open && peer.closeCode === undefined && sent < 1_000_000 && !context.stopping();
      sent += 1000
    ) {
      peer.write(batch);
      await sleep(5);
    }
    await until(() => peer.closeCode !== undefined || !peer.open, 2000);
    peer.destroy();
    return endOf(peer);
  });
}

const bombs: Partial<Record<SoakServerKind, Buffer>> = {};

/**
 * A compressed message that inflates to just under the server's default largest message: about a
 * thousandth of that on the wire. Built once per process (compressing 100 MiB takes a moment).
 */
function bombFor(kind: SoakServerKind): Buffer {
  const size = DEFAULT_MAX_MESSAGE[kind] - 1;
  // On the realtime server, an EVENT: it must reach the Socket.IO layer as text.
  const build = (): Buffer => {
    const data = kind === 'ws' ? Buffer.alloc(size) : Buffer.from(`42["bomb","${'a'.repeat(size - 20)}"]`);
    const compressed = deflateRawSync(data, { finishFlush: constants.Z_SYNC_FLUSH });
    // RFC 7692 §7.2.1: the final empty block's 00 00 ff ff is removed.
    return clientFrame(kind === 'ws' ? Opcode.Binary : Opcode.Text, compressed.subarray(0, compressed.length - 4), {
      rsv: RSV1,
    });
  };
  return (bombs[kind] ??= build());
}

/** Sends one deflate bomb and waits for what comes of it. */
function deflateBomb(context: RoleContext, outcome: RoleOutcome): Promise<void> {
  const bomb = bombFor(context.kind);
  return repeat(context, outcome, async () => {
    const peer = await openPeer(context, Role.DeflateBomb, { extensions: 'permessage-deflate' });
    if (!peer.extensions.includes('permessage-deflate')) {
      peer.destroy();
      return 'permessage-deflate declined';
    }
    peer.write(bomb);
    const closed = await until(() => peer.closeCode !== undefined || !peer.open, TIMEOUT_MS);
    peer.destroy();
    return closed ? endOf(peer) : 'inflated and accepted';
  });
}

/** Opens a raw TCP connection for an HTTP-level attack. */
async function tcp(context: RoleContext): Promise<{ socket: Socket; answer: () => string }> {
  const socket = connect({ host: '127.0.0.1', port: context.port, localAddress: context.localAddress });
  socket.on('error', () => undefined);
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, answer: () => received };
}

function statusOf(answer: string): string {
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(answer);
  return match ? `HTTP ${match[1]}` : answer === '' ? 'closed without an answer' : 'not HTTP';
}

/** An upgrade request head; `extraLines` end in CRLF each, and one that does not leaves the head unfinished. */
function upgradeHead(path: string, extraLines = ''): string {
  return (
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: c3dpdGNoYm9hcmQtc29haw==\r\nSec-WebSocket-Version: 13\r\n${extraLines}\r\n`
  );
}

/** Trickles a request head one byte every 50 ms until the server answers or hangs up. */
function trickledHead(context: RoleContext, outcome: RoleOutcome): Promise<void> {
  return repeat(context, outcome, async () => {
    const { socket, answer } = await tcp(context);
    const head = Buffer.from(
      upgradeHead(webSocketPath(context.kind, Role.TrickledHead), `X-Pad: ${'a'.repeat(64 * 1024)}`),
      'latin1',
    );
    for (let i = 0; i < head.length && !socket.destroyed && answer() === '' && !context.stopping(); i++) {
      socket.write(head.subarray(i, i + 1));
      await sleep(50);
    }
    await until(() => socket.destroyed || answer() !== '', 2000);
    socket.destroy();
    return statusOf(answer());
  });
}

/** Sends `bytes` at once and resolves with the status the server answers (or how it hung up). */
async function sendHead(context: RoleContext, bytes: Uint8Array): Promise<string> {
  const { socket, answer } = await tcp(context);
  socket.write(bytes);
  await until(() => socket.destroyed || answer() !== '', TIMEOUT_MS);
  socket.destroy();
  return statusOf(answer());
}

/** Sends a head repeating `Set-Cookie` 20,000 times (340 kB). */
function repeatedHeader(context: RoleContext, outcome: RoleOutcome): Promise<void> {
  const head = Buffer.from(
    upgradeHead(webSocketPath(context.kind, Role.RepeatedHeader), 'Set-Cookie: a=1\r\n'.repeat(20_000)),
    'latin1',
  );
  return repeat(context, outcome, () => sendHead(context, head));
}

/** Heads that are no HTTP/1.1 request, or an upgrade a proxy could read differently, in turn. */
function malformedHead(context: RoleContext, outcome: RoleOutcome): Promise<void> {
  const path = webSocketPath(context.kind, Role.MalformedHead);
  const heads: [string, Buffer][] = [
    ['bare LF', Buffer.from(upgradeHead(path).replaceAll('\r\n', '\n'), 'latin1')],
    // A TLS handshake record (content type 0x16), as a client that takes the port for HTTPS sends first.
    [
      'TLS ClientHello',
      Buffer.concat([
        Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03]),
        Buffer.alloc(160, 0x2a),
      ]),
    ],
    [
      'Content-Length + Transfer-Encoding',
      Buffer.from(upgradeHead(path, 'Content-Length: 5\r\nTransfer-Encoding: chunked\r\n'), 'latin1'),
    ],
  ];
  let turn = 0;
  return repeat(context, outcome, async () => {
    const [name, bytes] = heads[turn++ % heads.length]!;
    return `${name}: ${await sendHead(context, bytes)}`;
  });
}

/** Sends one Socket.IO packet and waits for the server to close the connection. */
async function sendAndWait(
  context: RoleContext,
  role: Role,
  packets: (peer: SoakPeer) => Promise<void> | void,
  waitMs = TIMEOUT_MS,
): Promise<string> {
  const peer = await openPeer(context, role);
  await packets(peer);
  const closed = await until(() => peer.closeCode !== undefined || !peer.open || context.stopping(), waitMs);
  peer.destroy();
  return closed ? endOf(peer) : 'still open';
}

/** An EVENT with 80,000 arguments. */
function wideEvent(context: RoleContext, outcome: RoleOutcome): Promise<void> {
  const packet = `42["wide"${',0'.repeat(80_000)}]`;
  return repeat(context, outcome, () => sendAndWait(context, Role.WideEvent, (peer) => peer.sendText(packet)));
}

/** An ACK with 200,000 values, answering the question the server asks this role. */
function wideAck(context: RoleContext, outcome: RoleOutcome): Promise<void> {
  const values = `[0${',0'.repeat(199_999)}]`;
  return repeat(context, outcome, () =>
    sendAndWait(context, Role.WideAck, async (peer) => {
      let question: number | undefined;
      peer.onData = (_opcode, payload) => {
        const match = /^42(\d+)\["question"/.exec(payload.toString());
        if (match) question = Number(match[1]);
      };
      await until(() => question !== undefined || !peer.open, TIMEOUT_MS);
      peer.sendText(`43${question ?? 0}${values}`);
    }),
  );
}

/** A binary packet announcing 10 attachments, of which 9 (of 100 kB each) are sent. */
function unfinishedBinary(context: RoleContext, outcome: RoleOutcome): Promise<void> {
  const placeholders = Array.from({ length: 10 }, (_, num) => `{"_placeholder":true,"num":${num}}`).join(',');
  const attachment = clientFrame(Opcode.Binary, Buffer.alloc(100_000));
  return repeat(context, outcome, () =>
    sendAndWait(
      context,
      Role.UnfinishedBinary,
      (peer) => {
        // Engine.IO message (4) carrying a Socket.IO BINARY_EVENT (5) that announces 10 attachments.
        peer.sendText(`4510-["upload",${placeholders}]`);
        for (let i = 0; i < 9; i++) peer.write(attachment);
      },
      60_000,
    ),
  );
}

/** CONNECTs to 1,000 unknown namespaces a second, on one connection, for the whole run. */
function namespaceFlood(context: RoleContext, outcome: RoleOutcome): Promise<void> {
  const burst = Array.from({ length: 1000 }, (_, i) => clientFrame(Opcode.Text, `40/unknown-${i},`));
  return repeat(context, outcome, async () => {
    const peer = await openPeer(context, Role.NamespaceFlood);
    peer.onData = (_opcode, payload) => {
      if (payload[0] === 0x34 && payload[1] === 0x34) tally(outcome, 'CONNECT_ERROR received');
    };
    while (peer.open && !context.stopping()) {
      for (const frame of burst) peer.write(frame);
      await context.pause(1000);
    }
    peer.destroy();
    return endOf(peer);
  });
}

/** Opens an Engine.IO session and never joins a namespace. */
function noJoin(context: RoleContext, outcome: RoleOutcome): Promise<void> {
  return repeat(context, outcome, async () => {
    const peer = await openPeer(context, Role.NoJoin, { join: false });
    await until(() => peer.closeCode !== undefined || !peer.open || context.stopping(), 120_000, 200);
    peer.destroy();
    return endOf(peer);
  });
}

/** Sends one HTTP request and resolves with its status (0 when the connection failed). */
function httpStatus(
  context: RoleContext,
  method: string,
  path: string,
  body?: Buffer,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve) => {
    const req = request({
      host: '127.0.0.1',
      port: context.port,
      localAddress: context.localAddress,
      method,
      path,
      agent: false,
      timeout: TIMEOUT_MS,
    });
    req.on('response', (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk.slice(0, 200)));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      response.on('error', () => resolve({ status: response.statusCode ?? 0, text }));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve({ status: 0, text: '' }));
    if (body !== undefined) req.setHeader('Content-Type', 'text/plain;charset=UTF-8');
    req.end(body);
  });
}

/** Opens a polling session and POSTs a body twice the largest the server accepts. */
function oversizedPoll(context: RoleContext, outcome: RoleOutcome): Promise<void> {
  const path = `/socket.io/?EIO=4&transport=polling&role=${Role.OversizedPoll}`;
  const body = Buffer.alloc(2 * DEFAULT_MAX_MESSAGE.io, 0x61);
  return repeat(context, outcome, async () => {
    const handshake = await httpStatus(context, 'GET', path);
    const sid = /"sid":"([^"]+)"/.exec(handshake.text)?.[1];
    if (sid === undefined) return `handshake: HTTP ${handshake.status}`;
    const post = await httpStatus(context, 'POST', `${path}&sid=${sid}`, body);
    // The server may answer 413 and close before the whole body is sent: the client then sees a reset.
    return post.status === 0 ? 'connection closed while sending' : `HTTP ${post.status}`;
  });
}

/** Each role's loop. */
export const ROLES: Record<Role, (context: RoleContext, outcome: RoleOutcome) => Promise<void>> = {
  [Role.Healthy]: healthy,
  [Role.Idle]: (context, outcome) => idleLoop(context, outcome, () => undefined),
  [Role.Slow]: slow,
  [Role.PingFlood]: pingFlood,
  [Role.Fragments]: fragments,
  [Role.DeflateBomb]: deflateBomb,
  [Role.TrickledHead]: trickledHead,
  [Role.RepeatedHeader]: repeatedHeader,
  [Role.MalformedHead]: malformedHead,
  [Role.WideEvent]: wideEvent,
  [Role.WideAck]: wideAck,
  [Role.UnfinishedBinary]: unfinishedBinary,
  [Role.NamespaceFlood]: namespaceFlood,
  [Role.NoJoin]: noJoin,
  [Role.OversizedPoll]: oversizedPoll,
};

/** Opens the idle connections first (they are most of the run): at most `concurrency` handshakes at once. */
export async function openIdle(
  context: RoleContext,
  outcome: RoleOutcome,
  count: number,
  concurrency: number,
): Promise<Promise<void>[]> {
  const loops: Promise<void>[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count && !context.stopping()) {
      next++;
      const opened = new Promise<void>((resolve) => {
        // The first connection of each idle loop is awaited here; the loop goes on in the background.
        loops.push(idleLoop(context, outcome, resolve));
      });
      await opened;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return loops;
}

/** Holds a connection, answering heartbeats, until the server closes it or the run stops; calls `firstOpen` once the first is open (or failed). */
async function idleLoop(context: RoleContext, outcome: RoleOutcome, firstOpen: () => void): Promise<void> {
  let first = true;
  await repeat(context, outcome, async () => {
    let peer: SoakPeer;
    try {
      peer = await openPeer(context, Role.Idle);
    } finally {
      if (first) firstOpen();
      first = false;
    }
    await Promise.race([peer.closed, context.stopped]);
    return endOf(peer);
  });
}
