import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { Server, type RemoteSocket, type Socket } from '../../src/server/index.js';
import { waitFor } from '../helpers/wait.js';

/*
 * An application's event maps, as a typed app declares them. The runtime test below drives them
 * with the official client; `typeChecks` holds what the compiler must accept and refuse
 * (`npm run typecheck` fails if a line marked @ts-expect-error compiles).
 */
interface ClientToServer {
  chat: (text: string, ack: (delivered: boolean) => void) => void;
  join: (room: string) => void;
}

interface ServerToClient {
  chat: (from: string, text: string) => void;
  ask: (question: string, ack: (answer: number) => void) => void;
  bye: () => void;
  maybe: (note?: string) => void;
  many: (...values: number[]) => void;
  pair: (ack: (first: number, second: string) => void) => void;
  optional: (ack: (answer?: number) => void) => void;
  ownError: (ack: (problem: Error | null, answer: number) => void) => void;
}

/** True when two types are the same (not merely assignable). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertSame<Check extends true>(proof: Check): Check {
  return proof;
}

interface BetweenNodes {
  ping: (node: string, ack: (pong: string) => void) => void;
}

interface SessionData {
  name: string;
}

type App = Server<ClientToServer, ServerToClient, BetweenNodes, SessionData>;
type AppSocket = Socket<ClientToServer, ServerToClient, BetweenNodes, SessionData>;

/** Never called: the compiler checks it. */
export function typeChecks(io: App, socket: AppSocket, remote: RemoteSocket<ServerToClient, SessionData>): void {
  io.on('connection', (s) => {
    const name: string = s.data.name;
    s.on('chat', (text, ack) => ack(text.length + name.length > 0));
    // @ts-expect-error the ack takes a boolean
    s.on('chat', (_text, ack) => ack('yes'));
    // @ts-expect-error `chat` gives a string
    s.on('chat', (text: number) => text);
    s.on('disconnect', (reason) => reason.toUpperCase());
  });
  socket.emit('chat', 'server', 'hello');
  // @ts-expect-error the client expects two strings
  socket.emit('chat', 'server', 42);
  // @ts-expect-error the client listens to no such event
  socket.emit('unknown');
  // @ts-expect-error `join` is an event from the client, not to it
  socket.emit('join', 'room');
  socket.emit('ask', 'how many?', (answer) => answer.toFixed());
  socket.timeout(100).emit('ask', 'how many?', (err, answer) => (err ? err.message : answer.toFixed()));
  const answer: Promise<number> = socket.emitWithAck('ask', 'how many?');
  const timedAnswer: Promise<number> = socket.timeout(100).emitWithAck('ask', 'how many?');
  // @ts-expect-error `chat` takes no acknowledgement
  void socket.emitWithAck('chat', 'a', 'b');
  // @ts-expect-error `data` holds a name only
  void socket.data.age;

  io.to('room').emit('chat', 'server', 'hi');
  // @ts-expect-error the client expects two strings
  io.to('room').emit('chat', 'server');
  io.timeout(100).emit('ask', 'how many?', (err, answers) => (err ? [] : answers.map((n) => n.toFixed())));
  const answers: Promise<number[]> = io.timeout(100).emitWithAck('ask', 'how many?');
  const nodeAnswers: Promise<string[]> = io.serverSideEmitWithAck('ping', 'node-1');
  io.on('ping', (node, ack) => ack(node));
  // @ts-expect-error nodes exchange `ping` only
  io.serverSideEmit('chat', 'a', 'b');
  io.of('/admin').use((s, next) => (s.data.name === 'admin' ? next() : next(new Error('forbidden'))));
  remote.emit('ask', 'how many?', (err, n) => (err ? 0 : n + 1));
  const remoteName: string = remote.data.name;

  // Events without an acknowledgement take no emitWithAck.
  // @ts-expect-error `bye` takes no acknowledgement
  void socket.emitWithAck('bye');
  // @ts-expect-error `maybe` takes no acknowledgement
  void socket.emitWithAck('maybe');
  // @ts-expect-error `many` takes no acknowledgement
  void io.emitWithAck('many', 1);
  // @ts-expect-error `bye` takes no arguments
  socket.emit('bye', 1);
  // Callbacks annotated as code written for the official server annotates them.
  io.timeout(100).emit('ask', 'q', (err: Error, responses: number[]) => (err ? 0 : responses.length));
  socket.timeout(100).emit('ask', 'q', (err: Error | null, answer: number) => (err ? 0 : answer));
  // A timeout before a broadcast, or twice, adds one error argument, not two.
  socket.timeout(100).broadcast.emit('ask', 'q', (err, responses) => {
    assertSame<Same<typeof responses, number[]>>(true);
    return err;
  });
  socket
    .timeout(100)
    .timeout(200)
    .emit('ask', 'q', (err, answer) => {
      assertSame<Same<typeof answer, number>>(true);
      return err;
    });
  // A remote socket answers with the first argument of the acknowledgement only.
  remote.emit('pair', (err, first) => {
    assertSame<Same<typeof first, number>>(true);
    return err;
  });
  assertSame<Same<Awaited<ReturnType<typeof remote.emitWithAck<'pair'>>>, number>>(true);
  assertSame<Same<Awaited<ReturnType<typeof socket.emitWithAck<'optional'>>>, number | undefined>>(true);
  // An acknowledgement whose own first argument is an error resolves with that argument.
  assertSame<Same<Awaited<ReturnType<typeof socket.emitWithAck<'ownError'>>>, Error | null>>(true);
  assertSame<Same<Awaited<ReturnType<typeof io.emitWithAck<'pair'>>>, number[]>>(true);
  void [answer, timedAnswer, answers, nodeAnswers, remoteName];
}

test('a server typed with event maps talks to the official client as an untyped one does', async () => {
  const http = createServer();
  const io: App = new Server(http);
  http.listen(0, '127.0.0.1');
  await waitFor(http, 'listening');
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const clients: ClientSocket[] = [];
  try {
    io.use((socket, next) => {
      socket.data.name = String(socket.handshake.auth.name);
      next();
    });
    io.on('connection', (socket) => {
      socket.on('join', (room) => void socket.join(room));
      socket.on('chat', (text, ack) => {
        socket.to('room').emit('chat', socket.data.name, text);
        ack(true);
      });
    });
    for (const name of ['ann', 'bob']) {
      const client = connect(url, { forceNew: true, reconnection: false, transports: ['websocket'], auth: { name } });
      clients.push(client);
      client.on('ask', (question: string, ack: (answer: number) => void) => ack(question.length));
      await waitFor(client, 'connect');
    }
    const [ann, bob] = clients as [ClientSocket, ClientSocket];
    bob.emit('join', 'room');
    // Bob's answer to `ask` follows his `join` on the same connection: once it is back, he is in the room.
    const sockets = await io.fetchSockets();
    const bobsSocket = sockets.find((socket) => socket.data.name === 'bob');
    assert.ok(bobsSocket, 'bob is among the fetched sockets, with his data');
    assert.equal(await bobsSocket.timeout(2000).emitWithAck('ask', 'joined?'), 'joined?'.length);

    const received = waitFor(bob, 'chat');
    assert.equal(await ann.timeout(2000).emitWithAck('chat', 'hello'), true);
    assert.deepEqual(await received, ['ann', 'hello']);

    assert.deepEqual((await io.timeout(2000).emitWithAck('ask', 'four')).sort(), [4, 4]);
  } finally {
    for (const client of clients) client.disconnect();
    await io.close();
  }
});
