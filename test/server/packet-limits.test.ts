import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Socket as ClientSocket } from 'socket.io-client';
import {
  DisconnectReason,
  Server,
  SocketIoErrorCode,
  type ServerOptions,
  type Socket,
} from '../../src/server/index.js';
import { createServer } from 'node:http';
import { recordEscapes } from '../helpers/escapes.js';
import { startServer, type Harness } from './helpers.js';
import { waitFor } from '../helpers/wait.js';

/** `count` zeros, comma-separated: the arguments of a packet. */
function zeros(count: number): string {
  return new Array<string>(count).fill('0').join(',');
}

function placeholders(count: number): string {
  return Array.from({ length: count }, (_, num) => `{"_placeholder":true,"num":${num}}`).join(',');
}

/** A connected official client and its server-side socket. */
async function connect(h: Harness): Promise<{ client: ClientSocket; socket: Socket }> {
  const serverSide = waitFor<[Socket]>(h.io, 'connection');
  const client = h.client('/');
  await waitFor(client, 'connect');
  const [socket] = await serverSide;
  return { client, socket };
}

/** Sends a raw Engine.IO message and resolves once the server has handled it. */
async function sendRaw(client: ClientSocket, socket: Socket, message: string | Buffer): Promise<void> {
  // The client's own listener on the session comes first, so this one runs after it.
  const handled = waitFor(socket.conn, 'message');
  client.io.engine.send(message);
  await handled;
}

/** Resolves with the socket's disconnect reason and the code of the error it saw first, if any. */
async function leaving(socket: Socket): Promise<{ reason: string; code: string | undefined }> {
  let code: string | undefined;
  socket.on('error', (err: Error & { code?: string }) => (code ??= err.code));
  const [reason] = await waitFor<[string]>(socket, 'disconnect');
  return { reason, code };
}

describe('maxArguments', () => {
  const escaped = recordEscapes();

  test('an EVENT or an ACK past the default of 1000 is a parse error; one at it is delivered', async () => {
    const h = await startServer();
    try {
      const { client, socket } = await connect(h);
      const received = waitFor<unknown[]>(socket, 'many');
      client.io.engine.send(`2["many",${zeros(1000)}]`);
      assert.equal((await received).length, 1000);
      const answered = new Promise<unknown[]>((resolve, reject) =>
        socket
          .timeout(2000)
          .emit('question', (err: Error | null, ...values: unknown[]) => (err ? reject(err) : resolve(values))),
      );
      client.io.engine.send(`30[${zeros(1000)}]`);
      assert.equal((await answered).length, 1000);

      for (const message of [`2["many",${zeros(1001)}]`, `31[${zeros(1001)}]`]) {
        const next = await connect(h);
        const left = leaving(next.socket);
        next.client.io.engine.send(message);
        assert.deepEqual(await left, { reason: DisconnectReason.ParseError, code: SocketIoErrorCode.TooManyArguments });
      }
      assert.equal(socket.connected, true);
    } finally {
      await h.close();
    }
  });

  test('raised past what the call stack holds, the packet costs its client "server error", never the process', async () => {
    const h = await startServer({ maxArguments: 1_000_000 });
    try {
      h.io.on('connection', (socket: Socket) =>
        socket.on('echo', (value: unknown, ack: (v: unknown) => void) => ack(value)),
      );
      const reports: Error[] = [];
      h.io.on('error', (err) => void reports.push(err));
      const witness = await connect(h);
      // 300,000 arguments, 600 KB: no listener needed, spreading them is enough to overflow the stack.
      for (const message of [`2["flood",${zeros(300_000)}]`, `30[${zeros(300_000)}]`]) {
        const { client, socket } = await connect(h);
        if (message.startsWith('3')) socket.emit('question', () => undefined);
        const left = leaving(socket);
        client.io.engine.send(message);
        assert.equal((await left).reason, DisconnectReason.ServerError);
      }
      assert.deepEqual(
        reports.map((err) => err.name),
        ['RangeError', 'RangeError'],
      );
      assert.equal(await witness.client.timeout(2000).emitWithAck('echo', 'alive'), 'alive');
      assert.deepEqual(escaped, []);
    } finally {
      await h.close();
    }
  });
});

describe('unfinished binary packets', () => {
  test('attachments past maxAttachmentBytes together disconnect with "parse error" and are let go of', async () => {
    const h = await startServer({ maxAttachmentBytes: 1000 });
    try {
      const { client, socket } = await connect(h);
      const left = leaving(socket);
      await sendRaw(client, socket, `53-["file",${placeholders(3)}]`);
      await sendRaw(client, socket, Buffer.alloc(400));
      await sendRaw(client, socket, Buffer.alloc(400));
      assert.equal(socket.client.pendingAttachmentBytes, 800);
      client.io.engine.send(Buffer.alloc(400));
      assert.deepEqual(await left, {
        reason: DisconnectReason.ParseError,
        code: SocketIoErrorCode.AttachmentsTooLarge,
      });
      assert.equal(socket.client.pendingAttachmentBytes, 0);
    } finally {
      await h.close();
    }
  });

  test('the default budget is maxHttpBufferSize', async () => {
    const h = await startServer({ maxHttpBufferSize: 2000 });
    try {
      const { client, socket } = await connect(h);
      const left = leaving(socket);
      await sendRaw(client, socket, `52-["file",${placeholders(2)}]`);
      await sendRaw(client, socket, Buffer.alloc(1500));
      client.io.engine.send(Buffer.alloc(1500));
      assert.deepEqual(await left, {
        reason: DisconnectReason.ParseError,
        code: SocketIoErrorCode.AttachmentsTooLarge,
      });
    } finally {
      await h.close();
    }
  });

  test('the default budget follows a maxHttpBufferSize given to attach()', async () => {
    const io = new Server();
    const http = createServer();
    try {
      io.attach(http, { maxHttpBufferSize: 2000 });
      assert.equal(io.decoderLimits.maxAttachmentBytes, 2000);
      const given = new Server({ maxAttachmentBytes: 500 });
      given.attach(createServer(), { maxHttpBufferSize: 2000 });
      assert.equal(given.decoderLimits.maxAttachmentBytes, 500, 'one given to the constructor stays');
      await given.close();
    } finally {
      await io.close();
    }
  });

  test('attachments missing at attachmentTimeout disconnect with "parse error" and are let go of', async () => {
    const h = await startServer({ attachmentTimeout: 50 });
    try {
      const { client, socket } = await connect(h);
      const left = leaving(socket);
      await sendRaw(client, socket, `52-["file",${placeholders(2)}]`);
      await sendRaw(client, socket, Buffer.alloc(100));
      assert.equal(socket.client.pendingAttachmentBytes, 100);
      assert.equal(socket.client.awaitingAttachments, true);
      assert.deepEqual(await left, { reason: DisconnectReason.ParseError, code: SocketIoErrorCode.AttachmentsTimeout });
      assert.equal(socket.client.pendingAttachmentBytes, 0);
      assert.equal(socket.client.awaitingAttachments, false);
    } finally {
      await h.close();
    }
  });

  test('a binary event within the limits is delivered, and its deadline does not outlive it', async () => {
    const h = await startServer({ maxAttachmentBytes: 1000, attachmentTimeout: 50 });
    try {
      h.io.on('connection', (socket: Socket) =>
        socket.on('upload', (first: Buffer, second: Buffer, ack: (sizes: number[]) => void) =>
          ack([first.length, second.length]),
        ),
      );
      const { client, socket } = await connect(h);
      await sendRaw(client, socket, `52-["file",${placeholders(2)}]`);
      assert.equal(socket.client.awaitingAttachments, true, 'the packet waits with a deadline');
      await sendRaw(client, socket, Buffer.alloc(600));
      await sendRaw(client, socket, Buffer.alloc(400));
      // Complete, the packet leaves the queue of deadlines: nothing is left to fire on this client.
      assert.equal(socket.client.awaitingAttachments, false);
      assert.equal(socket.client.pendingAttachmentBytes, 0);
      assert.deepEqual(await client.timeout(2000).emitWithAck('upload', Buffer.alloc(1), Buffer.alloc(2)), [1, 2]);
      assert.equal(socket.client.awaitingAttachments, false);
      assert.equal(socket.connected, true);
    } finally {
      await h.close();
    }
  });

  test('a client that announces more attachments than maxAttachments is refused before it sends any', async () => {
    const h = await startServer({ maxAttachments: 10 });
    try {
      const { client, socket } = await connect(h);
      const left = leaving(socket);
      client.io.engine.send(`511-["file",${placeholders(11)}]`);
      assert.deepEqual(await left, { reason: DisconnectReason.ParseError, code: SocketIoErrorCode.TooManyAttachments });
    } finally {
      await h.close();
    }
  });
});

describe('options of these limits', () => {
  test('are validated at construction, naming the option', () => {
    const invalid: [keyof ServerOptions, number][] = [
      ['maxArguments', 0],
      ['maxArguments', 2.5],
      ['maxAttachmentBytes', 0],
      ['maxAttachmentBytes', -1],
      ['maxHttpBufferSize', 0],
      ['maxHttpBufferSize', -1],
      // Past 2³¹ − 1 ms a Node timer fires at once, over and over.
      ['attachmentTimeout', 0],
      ['attachmentTimeout', Number.NaN],
      ['attachmentTimeout', 3e9],
      ['connectTimeout', 0],
      ['connectTimeout', 3e9],
      ['maxNamespacesPerClient', 0],
      ['maxNamespacesPerClient', 1.5],
    ];
    for (const [name, value] of invalid) {
      assert.throws(
        () => new Server({ [name]: value }),
        (err: unknown) => err instanceof TypeError && err.message.startsWith(name),
        `${name}: ${value}`,
      );
    }
  });

  test('given to attach() rather than the constructor, they would have no effect: a TypeError names them', async () => {
    const io = new Server();
    const http = createServer();
    try {
      const misplaced = { maxArguments: 10, attachmentTimeout: 1000, path: '/elsewhere/' } as Parameters<
        Server['attach']
      >[1];
      assert.throws(
        () => io.attach(http, misplaced),
        (err: unknown) =>
          err instanceof TypeError &&
          err.message.startsWith('maxArguments, attachmentTimeout, path:') &&
          /constructor/.test(err.message),
      );
      // Nothing was attached: attaching as told works.
      io.attach(http, { pingInterval: 1000 });
      assert.equal(io.engine.options.pingInterval, 1000);
      http.listen(0, '127.0.0.1');
      await waitFor(http, 'listening');
    } finally {
      await io.close();
    }
  });
});
