import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { ChatRoom } from '../../src/cli/chat/chat-room.js';
import { defaultChatLimits } from '../../src/cli/chat/chat-protocol.js';
import { startDemoServer, type DemoServer, type DemoServerOptions } from '../../src/cli/demo-server.js';
import { WebSocket, WebSocketServer } from '../../src/ws/index.js';
import { TestChatClient } from '../helpers/chat-client.js';
import { waitFor } from '../helpers/wait.js';
import { withServer } from '../helpers/with-server.js';

const NOW = 1_700_000_000_000;

/** Runs `body` against a demo server on a free loopback port with a fixed clock, then closes everything. */
function withChatServer(
  options: DemoServerOptions['chat'],
  body: (url: string, server: DemoServer) => Promise<void>,
): Promise<void> {
  return withServer(
    () => startDemoServer({ port: 0, host: '127.0.0.1', chat: { now: () => NOW, ...options } }),
    (server) => body(server.url.replace('http:', 'ws:') + 'chat', server),
  );
}

describe('chat room', () => {
  test('welcomes with the user list and limits, announces joins and leaves to the others', () =>
    withChatServer({}, async (url) => {
      const ada = await TestChatClient.open(url);
      ada.send({ type: 'join', nick: 'Ada' });
      assert.deepEqual(await ada.nextText('welcome'), {
        type: 'welcome',
        nick: 'Ada',
        users: ['Ada'],
        limits: defaultChatLimits,
      });

      const bob = await TestChatClient.open(url);
      bob.send({ type: 'join', nick: '  Bob  ' });
      assert.deepEqual(await bob.nextText('welcome'), {
        type: 'welcome',
        nick: 'Bob',
        users: ['Ada', 'Bob'],
        limits: defaultChatLimits,
      });
      assert.deepEqual(await ada.nextText('joined'), { type: 'joined', nick: 'Bob', users: ['Ada', 'Bob'] });

      assert.equal((await bob.close()).code, 1000);
      assert.deepEqual(await ada.nextText('left'), { type: 'left', nick: 'Bob', users: ['Ada'] });
      // The joiner is not told about itself twice.
      assert.ok(bob.idle);
      await ada.close();
    }));

  test('relays a message to everyone, the sender included, stamped with sender and time', () =>
    withChatServer({}, async (url) => {
      const ada = await TestChatClient.join(url, 'Ada');
      const bob = await TestChatClient.join(url, 'Bob');
      await ada.nextText('joined');
      ada.send({ type: 'message', text: 'hello\r\nBob' });
      const expected = { type: 'message', from: 'Ada', text: 'hello\nBob', at: NOW };
      assert.deepEqual(await ada.nextText('message'), expected);
      assert.deepEqual(await bob.nextText('message'), expected);
      bob.send({ type: 'message', text: 'hi Ada' });
      assert.deepEqual(await ada.nextText('message'), { type: 'message', from: 'Bob', text: 'hi Ada', at: NOW });
      await Promise.all([ada.close(), bob.close()]);
    }));

  test('relays a file as binary to everyone with the same bytes', () =>
    withChatServer({}, async (url) => {
      const ada = await TestChatClient.join(url, 'Ada');
      const bob = await TestChatClient.join(url, 'Bob');
      await ada.nextText('joined');
      const bytes = Uint8Array.from({ length: 70_000 }, (_, index) => (index * 31) & 0xff);
      ada.sendFile('pattern.bin', '', bytes);
      for (const client of [ada, bob]) {
        const file = await client.nextFile();
        assert.deepEqual(
          { from: file.from, name: file.name, type: file.type, at: file.at },
          { from: 'Ada', name: 'pattern.bin', type: 'application/octet-stream', at: NOW },
        );
        assert.ok(Buffer.from(file.bytes).equals(bytes));
      }
      await Promise.all([ada.close(), bob.close()]);
    }));

  test('a taken nickname (in any case) or an invalid one is rejected, and another may be tried', () =>
    withChatServer({}, async (url) => {
      const ada = await TestChatClient.join(url, 'Ada');
      const other = await TestChatClient.open(url);
      other.send({ type: 'join', nick: 'ADA' });
      assert.deepEqual(await other.nextText('rejected'), { type: 'rejected', reason: '“ADA” is taken' });
      other.send({ type: 'join', nick: 'x'.repeat(25) });
      assert.match((await other.nextText('rejected')).reason, /longer than 24/);
      other.send({ type: 'join', nick: 'Ad\u202ea' });
      assert.match((await other.nextText('rejected')).reason, /invisible/);
      other.send({ type: 'join', nick: 'Grace' });
      assert.deepEqual((await other.nextText('welcome')).users, ['Ada', 'Grace']);
      // A rejected attempt is never announced.
      assert.deepEqual(await ada.nextText('joined'), { type: 'joined', nick: 'Grace', users: ['Ada', 'Grace'] });
      // After Ada leaves, her name is free again.
      await ada.close();
      await other.nextText('left');
      const again = await TestChatClient.join(url, 'ada');
      await Promise.all([again.close(), other.close()]);
    }));

  test('input the page never sends closes that connection with 1008, and nobody else notices', () =>
    withChatServer({}, async (url) => {
      const witness = await TestChatClient.join(url, 'Witness');
      const cases: Array<[string, (client: TestChatClient) => void, RegExp, boolean]> = [
        ['message before join', (client) => client.send({ type: 'message', text: 'hi' }), /join first/, false],
        ['file before join', (client) => client.sendFile('a', '', new Uint8Array(1)), /join first/, false],
        ['not JSON', (client) => client.send('{oops'), /not JSON/, false],
        ['not an object', (client) => client.send('[]'), /not a JSON object/, false],
        ['unknown type', (client) => client.send({ type: 'kick', nick: 'Witness' }), /unknown message type/, false],
        ['empty text', (client) => client.send({ type: 'message', text: '   ' }), /text is empty/, true],
        ['second join', (client) => client.send({ type: 'join', nick: 'Other' }), /already joined/, true],
        ['broken file frame', (client) => client.socket.send(Buffer.from([0xff]), { binary: true }), /too short/, true],
        ['bad file type', (client) => client.sendFile('a', 'text/html; x', new Uint8Array(1)), /not a MIME type/, true],
      ];
      for (const [name, misbehave, reason, joinFirst] of cases) {
        const client = joinFirst ? await TestChatClient.join(url, 'Mallory') : await TestChatClient.open(url);
        if (joinFirst) await witness.nextText('joined');
        misbehave(client);
        const closed = await client.closed;
        assert.equal(closed.code, 1008, name);
        assert.match(closed.reason, reason, name);
        if (joinFirst) assert.equal((await witness.nextText('left')).nick, 'Mallory', name);
      }
      witness.send({ type: 'message', text: 'still here' });
      assert.equal((await witness.nextText('message')).text, 'still here');
      await witness.close();
    }));

  test('a frame larger than the biggest allowed file closes with 1009 before reaching the room', () =>
    withChatServer({ limits: { maxFileBytes: 1024 } }, async (url, server) => {
      assert.equal(server.chat.maxFrameBytes, 1024 + 2 + 2048);
      const client = await TestChatClient.join(url, 'Big');
      client.socket.send(Buffer.alloc(server.chat.maxFrameBytes + 1), { binary: true });
      assert.equal((await client.closed).code, 1009);
      // Within the frame limit but over the file limit, the room refuses it.
      const other = await TestChatClient.join(url, 'Other');
      other.sendFile('f', '', new Uint8Array(1025));
      const closed = await other.closed;
      assert.deepEqual(closed, { code: 1008, reason: 'file is larger than 1024 bytes' });
    }));

  test('a connection sending faster than its rate closes with 1008', () =>
    withChatServer({ burst: 3, messagesPerSecond: 1 }, async (url) => {
      // With the clock standing still, the bucket never refills: join plus two messages use the burst.
      const client = await TestChatClient.join(url, 'Chatty');
      client.send({ type: 'message', text: 'one' });
      client.send({ type: 'message', text: 'two' });
      client.send({ type: 'message', text: 'three' });
      assert.equal((await client.nextText('message')).text, 'one');
      assert.equal((await client.nextText('message')).text, 'two');
      assert.deepEqual(await client.closed, { code: 1008, reason: 'too many messages' });
    }));

  test('a member that stops reading is dropped once too much is queued for it, and the rest carry on', () =>
    withChatServer({ maxBufferedBytes: 64 * 1024, burst: 100, messagesPerSecond: 100 }, async (url) => {
      const sender = await TestChatClient.join(url, 'Sender');
      const slow = await TestChatClient.join(url, 'Slow');
      await sender.nextText('joined');
      slow.socket.pause();
      const file = new Uint8Array(1024 * 1024);
      let left: string | undefined;
      // Loopback buffers hold a few MiB; 40 MiB sent to a reader that never reads must back up.
      for (let sent = 0; sent < 40 && left === undefined; sent++) {
        sender.sendFile('chunk.bin', '', file);
        const item = await sender.next();
        if (item.kind === 'text' && item.message.type === 'left') left = item.message.nick;
        else assert.equal(item.kind, 'file');
      }
      assert.equal(left, 'Slow');
      sender.send({ type: 'message', text: 'still flowing' });
      let text: string | undefined;
      while (text === undefined) {
        const item = await sender.next();
        if (item.kind === 'text' && item.message.type === 'message') text = item.message.text;
      }
      assert.equal(text, 'still flowing');
      slow.socket.terminate();
      await sender.close();
    }));

  test('a join past maxMembers closes with 1013; a place that frees up can be taken', () =>
    withChatServer({ maxMembers: 2 }, async (url) => {
      const first = await TestChatClient.join(url, 'First');
      const second = await TestChatClient.join(url, 'Second');
      const third = await TestChatClient.open(url);
      third.send({ type: 'join', nick: 'Third' });
      assert.deepEqual(await third.closed, { code: 1013, reason: 'chat is full' });
      await second.close();
      const later = await TestChatClient.join(url, 'Later');
      await Promise.all([first.close(), later.close()]);
    }));

  test('shutting down closes every connection with 1001 and announces no leaves', async () => {
    const server = await startDemoServer({ port: 0, host: '127.0.0.1' });
    const url = server.url.replace('http:', 'ws:') + 'chat';
    const ada = await TestChatClient.join(url, 'Ada');
    const lurker = await TestChatClient.open(url);
    await server.close();
    assert.deepEqual(await ada.closed, { code: 1001, reason: 'server shutting down' });
    assert.deepEqual(await lurker.closed, { code: 1001, reason: 'server shutting down' });
    assert.ok(ada.idle);
    // Closing twice is harmless.
    await server.close();
  });

  test('an upgrade to any other path gets 404', async () => {
    const server = await startDemoServer({ port: 0, host: '127.0.0.1' });
    try {
      const socket = new WebSocket(server.url.replace('http:', 'ws:') + 'elsewhere');
      const [error] = await waitFor<[Error]>(socket, 'error');
      assert.match(error.message, /404/);
    } finally {
      await server.close();
    }
  });

  test('without a fanOut it sends to each member itself, on any WebSocket server', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await waitFor(wss, 'listening');
    const room = new ChatRoom();
    wss.on('connection', (socket) => room.accept(socket));
    try {
      const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`;
      const ada = await TestChatClient.join(url, 'Ada');
      const bob = await TestChatClient.join(url, 'Bob');
      await ada.nextText('joined');
      bob.sendFile('b.bin', '', Uint8Array.of(1, 2, 3));
      for (const client of [ada, bob]) assert.deepEqual([...(await client.nextFile()).bytes], [1, 2, 3]);
      await bob.close();
      assert.deepEqual(await ada.nextText('left'), { type: 'left', nick: 'Bob', users: ['Ada'] });
      await ada.close();
    } finally {
      await room.close();
      await new Promise((resolve) => wss.close(resolve));
    }
  });

  test('rejects options that make no sense', () => {
    assert.throws(() => new ChatRoom({ maxMembers: 0 }), /maxMembers/);
    assert.throws(() => new ChatRoom({ joinTimeout: 0 }), /joinTimeout/);
    assert.throws(() => new ChatRoom({ joinTimeout: 2 ** 31 }), /joinTimeout/);
    assert.throws(() => new ChatRoom({ limits: { maxNicknameLength: 1.5 } }), TypeError);
    assert.throws(() => new ChatRoom({ messagesPerSecond: 0 }), TypeError);
    assert.throws(() => new ChatRoom({ maxBufferedBytes: -1 }), TypeError);
  });
});
