import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { WebSocket as WsWebSocket } from 'ws';
import { WebSocket } from '../../src/ws/index.js';
import { startServer, type TestServer } from '../helpers/ws-peers.js';
import { next, openOurClient, openWsClient, ourClose, startWsServer, wsClose, type CloseOutcome } from './interop-shared.js';

// Ordering and the edges of the closing handshake between Switchboard and `ws`: many messages in
// flight both ways, messages sent right before a close, both ends closing at once, many fragments.

/** A pair of connected sockets: one Switchboard, one `ws`, whichever is the server. */
interface Pair {
  readonly ours: WebSocket;
  readonly theirs: WsWebSocket;
}

/** Collects the text of the next `count` messages, in arrival order. */
function collect(socket: NodeJS.EventEmitter, count: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const seen: string[] = [];
    const timer = setTimeout(() => reject(new Error(`only ${seen.length} of ${count} messages arrived`)), 10_000);
    const onMessage = (data: Buffer): void => {
      seen.push(data.toString());
      if (seen.length === count) {
        clearTimeout(timer);
        socket.off('message', onMessage);
        resolve(seen);
      }
    };
    socket.on('message', onMessage);
  });
}

const numbered = (prefix: string, count: number): string[] => Array.from({ length: count }, (_, i) => `${prefix} ${i}`);

/** The same scenarios for both arrangements. */
function scenarios(connect: () => Promise<Pair>): void {
  test('1000 messages each way at once arrive complete and in order', async () => {
    const { ours, theirs } = await connect();
    const toOurs = collect(ours, 1000);
    const toTheirs = collect(theirs, 1000);
    for (let i = 0; i < 1000; i++) {
      ours.send(`from switchboard ${i}`);
      theirs.send(`from ws ${i}`);
    }
    assert.deepEqual(await toTheirs, numbered('from switchboard', 1000));
    assert.deepEqual(await toOurs, numbered('from ws', 1000));
    const closed = ourClose(ours);
    ours.close(1000);
    assert.equal((await closed).code, 1000);
  });

  test('messages sent right before close() all arrive before the close', async () => {
    const { ours, theirs } = await connect();
    const received: string[] = [];
    theirs.on('message', (data: Buffer) => received.push(data.toString()));
    const theirClose = wsClose(theirs);
    for (let i = 0; i < 200; i++) ours.send(`last words ${i}`);
    ours.close(4000, 'bye');
    assert.deepEqual(await theirClose, { code: 4000, reason: 'bye', wasClean: true });
    assert.deepEqual(received, numbered('last words', 200));
  });

  test('messages the peer sends right before its close all arrive before the close', async () => {
    const { ours, theirs } = await connect();
    const received: string[] = [];
    ours.on('message', (data: Buffer) => received.push(data.toString()));
    const ourClosed = ourClose(ours);
    for (let i = 0; i < 200; i++) theirs.send(`their last words ${i}`);
    theirs.close(4001, 'bye');
    assert.deepEqual(await ourClosed, { code: 4001, reason: 'bye', wasClean: true });
    assert.deepEqual(received, numbered('their last words', 200));
  });

  test('when both ends close at once, each reports the code it received, cleanly (RFC 6455 §7.1.5)', async () => {
    const { ours, theirs } = await connect();
    const ourClosed = ourClose(ours);
    const theirClosed = wsClose(theirs);
    ours.close(4002, 'ours');
    theirs.close(4003, 'theirs');
    const [mine, other]: CloseOutcome[] = await Promise.all([ourClosed, theirClosed]);
    assert.deepEqual(mine, { code: 4003, reason: 'theirs', wasClean: true });
    assert.deepEqual(other, { code: 4002, reason: 'ours', wasClean: true });
  });

  test('send after close() reports ERR_NOT_OPEN to its callback and sends nothing', async () => {
    const { ours, theirs } = await connect();
    let received = 0;
    theirs.on('message', () => received++);
    const closed = wsClose(theirs);
    ours.close(1000);
    const error = await new Promise<Error | null | undefined>((resolve) => ours.send('too late', resolve));
    assert.equal((error as { code?: string } | null | undefined)?.code, 'ERR_NOT_OPEN');
    assert.equal((await closed).code, 1000);
    assert.equal(received, 0);
  });

  test('5000 tiny fragments make one message, either way', async () => {
    const { ours, theirs } = await connect();
    const expected = numbered('f', 5000).join('');
    const atTheirs = next<[Buffer, boolean]>(theirs, 'message');
    const pieces = numbered('f', 5000);
    pieces.forEach((piece, i) => ours.send(piece, { fin: i === pieces.length - 1 }));
    const [data, isBinary] = await atTheirs;
    assert.equal(isBinary, false);
    assert.equal(data.toString(), expected);

    const atOurs = next<[Buffer, boolean]>(ours, 'message');
    pieces.forEach((piece, i) => theirs.send(piece, { fin: i === pieces.length - 1 }));
    const [back] = await atOurs;
    assert.equal(back.toString(), expected);
    const closed = ourClose(ours);
    theirs.close();
    assert.equal((await closed).code, 1005);
  });
}

describe('ordering and closing: Switchboard server, ws client', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  scenarios(async () => {
    const accepted = next<[WebSocket]>(server.wss, 'connection');
    const theirs = await openWsClient(server.url);
    const [ours] = await accepted;
    return { ours, theirs };
  });
});

describe('ordering and closing: ws server, Switchboard client', () => {
  let server: Awaited<ReturnType<typeof startWsServer>>;
  before(async () => {
    server = await startWsServer();
  });
  after(() => server.close());

  scenarios(async () => {
    const accepted = next<[WsWebSocket]>(server.wss, 'connection');
    const ours = await openOurClient(new WebSocket(server.url));
    const [theirs] = await accepted;
    return { ours, theirs };
  });
});
