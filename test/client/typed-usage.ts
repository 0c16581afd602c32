/**
 * How a typed application uses the client, checked by the compiler (typed-events.test.ts runs tsc
 * on this file): each `@ts-expect-error` line must fail to compile, every other line must compile.
 * Never run.
 */
import { io, Manager, type Socket } from '../../src/client-node/index.js';

interface ServerToClient {
  chat: (from: string, text: string) => void;
  ask: (question: string, ack: (answer: number) => void) => void;
}

interface ClientToServer {
  chat: (text: string, ack: (delivered: boolean) => void) => void;
  join: (room: string) => void;
}

export async function typedUsage(): Promise<void> {
  // As with socket.io-client: io() returns an untyped socket that a typed variable takes.
  const socket: Socket<ServerToClient, ClientToServer> = io('http://localhost:3000');

  socket.on('chat', (from, text) => from.length + text.length);
  socket.on('ask', (question, ack) => ack(question.length));
  socket.on('connect_error', (err) => err.message);
  socket.on('disconnect', (reason) => reason === 'io server disconnect');
  // @ts-expect-error `chat` gives strings
  socket.on('chat', (from: number) => from);
  // @ts-expect-error the ack takes a number
  socket.on('ask', (_question, ack) => ack('many'));
  // @ts-expect-error no such disconnect reason
  socket.on('disconnect', (reason) => reason === 'gone fishing');

  socket.emit('join', 'lobby');
  socket.emit('chat', 'hello', (delivered) => delivered);
  // @ts-expect-error `join` takes a string
  socket.emit('join', 42);
  // @ts-expect-error the server listens to no such event
  socket.emit('leave');
  // @ts-expect-error `chat` is an event to the client, with another signature
  socket.emit('chat', 'server', 'hello');

  const delivered: boolean = await socket.emitWithAck('chat', 'hi');
  socket.timeout(1000).emit('chat', 'hi', (err, ok) => (err ? err.message : ok));
  // @ts-expect-error after timeout() the callback takes the error first
  socket.timeout(1000).emit('chat', 'hi', (ok: boolean) => ok);
  // @ts-expect-error `join` has no acknowledgement to wait for
  const nothing: boolean = await socket.emitWithAck('join', 'lobby');

  const manager = new Manager<ServerToClient, ClientToServer>('http://localhost:3000', {
    reconnectionDelayMax: 10_000,
  });
  const admin = manager.socket('/admin');
  admin.emit('join', 'admins');
  manager.on('reconnect_attempt', (attempt) => attempt.toFixed());
  // @ts-expect-error not an option of the manager
  void new Manager('http://localhost:3000', { reconectionDelay: 1 });

  const untyped = io('http://localhost:3000/other');
  untyped.emit('anything', 1, { at: 'all' }, () => {});
  untyped.on('whatever', (...args: unknown[]) => args);
  void [delivered, nothing];
}
