/**
 * Hostile Socket.IO packets against the realtime server, over WebSocket and long-polling (issue 10,
 * items 1 and 7b): packets too wide to spread into a call, binary packets that never finish,
 * namespace floods, oversized polling bodies and sessions that never join. Each one costs its
 * sender the connection at most, never the process, and the healthy client keeps its round trips.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, test } from 'node:test';
import { SocketIoErrorCode, type SocketIoParseError } from '../../src/server/index.js';
import type { Socket } from '../../src/server/index.js';
import {
  ackWithValues,
  eventWithArguments,
  openEngineWebSocket,
  openSocketIo,
  SOCKET_IO_PATHS,
  type SocketIoAttacker,
} from './attackers.js';
import { startRealtimeTarget, type RealtimeTarget } from './targets.js';
import { until, waitFor } from '../helpers/wait.js';

const TRANSPORTS = ['websocket', 'polling'] as const;

/** Opens an attacker over `transport` and resolves with it and its socket on the server. */
async function attack(
  target: RealtimeTarget,
  transport: (typeof TRANSPORTS)[number],
): Promise<{ attacker: SocketIoAttacker; socket: Socket }> {
  const joined = waitFor<[Socket]>(target.io, 'connection');
  const attacker = await openSocketIo(target.port, transport);
  target.defer(() => attacker.close());
  const [socket] = await joined;
  return { attacker, socket };
}

/** The code of the next `error` the socket reports, and its disconnect reason. */
function failureOf(socket: Socket): { error: Promise<string>; reason: Promise<string> } {
  return {
    error: waitFor<[SocketIoParseError]>(socket, 'error').then(([error]) => error.code),
    reason: waitFor<[string]>(socket, 'disconnect').then(([reason]) => reason),
  };
}

describe('hostile Socket.IO packets', () => {
  for (const transport of TRANSPORTS) {
    test(`${transport}: an EVENT with 80,000 arguments is a parse error (maxArguments), and only its sender leaves`, async () => {
      const target = await startRealtimeTarget();
      let delivered = 0;
      target.io.on('connection', (socket: Socket) => socket.on('wide', () => delivered++));
      try {
        const { attacker, socket } = await attack(target, transport);
        const failure = failureOf(socket);
        await attacker.send(eventWithArguments('wide', 80_000));
        assert.equal(await failure.error, SocketIoErrorCode.TooManyArguments);
        assert.equal(await failure.reason, 'parse error');
        await attacker.closedByServer();
        assert.equal(delivered, 0);
        await target.roundTrip();
      } finally {
        await target.close();
      }
    });

    test(`${transport}: an ACK with 200,000 values is a parse error (maxArguments), and only its sender leaves`, async () => {
      const target = await startRealtimeTarget();
      const answers: unknown[][] = [];
      // The healthy client joined before this listener: only the attacker is asked.
      target.io.on('connection', (socket: Socket) =>
        socket.emit('question', (...values: unknown[]) => answers.push(values)),
      );
      try {
        const { attacker, socket } = await attack(target, transport);
        const failure = failureOf(socket);
        // The server's first acknowledgement id is 0.
        await attacker.send(ackWithValues(0, 200_000));
        assert.equal(await failure.error, SocketIoErrorCode.TooManyArguments);
        assert.equal(await failure.reason, 'parse error');
        await attacker.closedByServer();
        assert.deepEqual(answers, []);
        await target.roundTrip();
      } finally {
        await target.close();
      }
    });

    test(`${transport}: with maxArguments raised, the stack overflow of an 80,000-argument EVENT is contained ("server error")`, async () => {
      const target = await startRealtimeTarget({ maxArguments: 200_000 });
      const reported: Error[] = [];
      target.io.on('error', (error: Error) => reported.push(error));
      target.io.on('connection', (socket: Socket) => socket.on('wide', () => undefined));
      try {
        const { attacker, socket } = await attack(target, transport);
        const left = waitFor<[string]>(socket, 'disconnect');
        await attacker.send(eventWithArguments('wide', 80_000));
        assert.equal((await left)[0], 'server error');
        assert.ok(reported[0] instanceof RangeError, `reported ${String(reported[0])}`);
        await attacker.closedByServer();
        await target.roundTrip();
      } finally {
        await target.close();
      }
    });

    test(`${transport}: attachments past maxAttachmentBytes end the packet at once; the bytes held never pass it`, async () => {
      const maxAttachmentBytes = 250_000;
      const target = await startRealtimeTarget({ maxAttachmentBytes });
      try {
        const { attacker, socket } = await attack(target, transport);
        const failure = failureOf(socket);
        // BINARY_EVENT (5) announcing 5 attachments of 100 kB; the third passes the limit.
        const placeholders = Array.from({ length: 5 }, (_, num) => `{"_placeholder":true,"num":${num}}`);
        await attacker.send(`55-["upload",${placeholders.join(',')}]`);
        let most = 0;
        for (let sent = 1; sent <= 4 && socket.connected; sent++) {
          await attacker.sendBinary(new Uint8Array(100_000));
          await until(
            () => socket.client.pendingAttachmentBytes === sent * 100_000 || !socket.connected,
            3000,
            'the attachment to arrive',
          );
          most = Math.max(most, socket.client.pendingAttachmentBytes);
        }
        assert.equal(await failure.error, SocketIoErrorCode.AttachmentsTooLarge);
        assert.equal(await failure.reason, 'parse error');
        assert.ok(most <= maxAttachmentBytes, `held ${most} bytes of attachments`);
        assert.equal(socket.client.pendingAttachmentBytes, 0);
        await target.roundTrip();
      } finally {
        await target.close();
      }
    });

    test(`${transport}: a binary packet missing an attachment is dropped at attachmentTimeout`, async () => {
      const target = await startRealtimeTarget({ attachmentTimeout: 200 });
      try {
        const { attacker, socket } = await attack(target, transport);
        const failure = failureOf(socket);
        await attacker.send('52-["upload",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
        await attacker.sendBinary(new Uint8Array(10_000));
        await until(() => socket.client.pendingAttachmentBytes === 10_000, 3000, 'the attachment to arrive');
        assert.equal(await failure.error, SocketIoErrorCode.AttachmentsTimeout);
        assert.equal(await failure.reason, 'parse error');
        assert.equal(socket.client.pendingAttachmentBytes, 0);
        await target.roundTrip();
      } finally {
        await target.close();
      }
    });
  }

  test('CONNECTs to 500 unknown namespaces are refused one by one; nothing is created and the connection stays', async () => {
    const target = await startRealtimeTarget();
    try {
      const attacker = await openEngineWebSocket(target.port, { join: true });
      target.defer(() => attacker.client.destroy());
      for (let i = 0; i < 500; i++) attacker.send(`40/unknown-${i},`);
      for (let i = 0; i < 500; i++)
        assert.equal(await attacker.next(), `44/unknown-${i},{"message":"Invalid namespace"}`);
      assert.equal(target.io.hasNamespace('/unknown-0'), false);
      assert.equal(target.io.engine.clients.has(attacker.sid), true);
      await target.roundTrip();
    } finally {
      await target.close();
    }
  });

  test('one client is in at most maxNamespacesPerClient (100) namespaces; the CONNECTs past it are refused and it stays', async () => {
    const target = await startRealtimeTarget();
    target.io.of(/^\/room-\d+$/);
    try {
      const attacker = await openEngineWebSocket(target.port, { join: true });
      target.defer(() => attacker.client.destroy());
      // The main namespace counts: 99 rooms fit, the other 101 are refused.
      for (let i = 0; i < 200; i++) attacker.send(`40/room-${i},`);
      const answers = await Promise.all(Array.from({ length: 200 }, () => attacker.next()));
      assert.equal(answers.filter((answer) => /^40\/room-\d+,\{"sid":/.test(answer!)).length, 99);
      assert.equal(
        answers.filter((answer) => /^44\/room-\d+,\{"message":"Too many namespaces"\}$/.test(answer!)).length,
        101,
      );
      assert.equal(target.io.engine.clients.has(attacker.sid), true);
      await target.roundTrip();
    } finally {
      await target.close();
    }
  });

  test('with cleanupEmptyChildNamespaces, the dynamic namespaces a client opened are gone once it leaves', async () => {
    const target = await startRealtimeTarget({ cleanupEmptyChildNamespaces: true });
    target.io.of(/^\/room-\d+$/);
    try {
      const attacker = await openEngineWebSocket(target.port, { join: true });
      target.defer(() => attacker.client.destroy());
      for (let i = 0; i < 50; i++) attacker.send(`40/room-${i},`);
      for (let i = 0; i < 50; i++) assert.match((await attacker.next())!, /^40\/room-\d+,\{"sid":/);
      assert.equal(target.io.hasNamespace('/room-49'), true);
      attacker.client.destroy();
      await until(
        () => !target.io.hasNamespace('/room-0') && !target.io.hasNamespace('/room-49'),
        3000,
        'the namespaces to go',
      );
      await target.roundTrip();
    } finally {
      await target.close();
    }
  });

  test('a polling body past maxHttpBufferSize is refused with 413 as it streams, and only that session closes', async () => {
    const limit = 10_000;
    const target = await startRealtimeTarget({ maxHttpBufferSize: limit }, 'polling');
    try {
      const { attacker } = await attack(target, 'polling');
      // Chunked, so no Content-Length lets the server refuse it up front: it must count as it reads.
      const status = await new Promise<number>((resolve, reject) => {
        const post = request({
          host: '127.0.0.1',
          port: target.port,
          method: 'POST',
          path: `${SOCKET_IO_PATHS.polling}&sid=${attacker.sid}`,
          headers: { 'Content-Type': 'text/plain;charset=UTF-8', 'Transfer-Encoding': 'chunked' },
          agent: false,
        });
        post.on('response', (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
          post.destroy();
        });
        post.on('error', reject);
        const chunk = `4${'x'.repeat(4095)}`;
        let written = 0;
        const writeMore = (): void => {
          // Bounded: 100 times the limit at most, in case the server never answers.
          while (written < 100 * limit && post.write(chunk)) written += chunk.length;
          if (written < 100 * limit) post.once('drain', writeMore);
        };
        writeMore();
      });
      assert.equal(status, 413);
      await until(() => !target.io.engine.clients.has(attacker.sid), 3000, 'the session to close');
      await target.roundTrip();
    } finally {
      await target.close();
    }
  });

  test('50 sessions that never join a namespace are closed after connectTimeout', async () => {
    const target = await startRealtimeTarget({ connectTimeout: 200 });
    try {
      const idle = await Promise.all(Array.from({ length: 50 }, () => openEngineWebSocket(target.port)));
      for (const session of idle) target.defer(() => session.client.destroy());
      assert.equal(target.io.engine.clientsCount, 51);
      await until(() => target.io.engine.clientsCount === 1, 5000, 'the idle sessions to close');
      await target.roundTrip();
    } finally {
      await target.close();
    }
  });
});
