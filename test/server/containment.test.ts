import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Socket as ClientSocket } from 'socket.io-client';
import {
  InMemoryAdapter,
  type AdapterConstructor,
  type BroadcastOptions,
  type Room,
  type SocketId,
} from '../../src/adapter/index.js';
import type { Packet } from '../../src/protocol/socket-io/index.js';
import { DisconnectReason, type ServerOptions, type Socket } from '../../src/server/index.js';
import { recordEscapes } from '../helpers/escapes.js';
import { startServer, type Harness } from './helpers.js';
import { sleep, until, waitFor } from '../helpers/wait.js';

/*
 * Every hook the application gives the server, made to fail, synchronously and asynchronously:
 * the process must live on, the client concerned be disconnected with "server error", the error
 * be reported to `io.on('error')`, and another client on the same server not notice.
 */

type Kind = 'sync' | 'async';

/** A failure of either kind: `fault()` throws, or returns a rejected promise as an async function would. */
function faultOf(kind: Kind, message: string): () => Promise<never> {
  return () => {
    const err = new Error(message);
    if (kind === 'sync') throw err;
    return Promise.reject(err);
  };
}

function isOffender(socket: Socket): boolean {
  return socket.handshake.auth.offender === true;
}

/** An in-memory adapter whose `method` fails for the room `boom`. */
function faultyAdapter(method: 'addAll' | 'del' | 'broadcast', fault: () => Promise<never>): AdapterConstructor {
  return class FaultyAdapter extends InMemoryAdapter {
    override addAll(id: SocketId, rooms: Set<Room>): Promise<void> | void {
      if (method === 'addAll' && rooms.has('boom')) return fault();
      return super.addAll(id, rooms);
    }

    override del(id: SocketId, room: Room): Promise<void> | void {
      if (method === 'del' && room === 'boom') return fault();
      return super.del(id, room);
    }

    override broadcast(packet: Packet, opts: BroadcastOptions): Promise<void> | void {
      if (method === 'broadcast' && opts.rooms.has('boom')) return fault();
      return super.broadcast(packet, opts);
    }
  };
}

interface Case {
  name: string;
  /** Kinds of failure the hook can have; both unless said. */
  kinds?: readonly Kind[];
  options?(fault: () => Promise<never>): ServerOptions;
  /** The namespace the offending client joins. */
  nsp?: string;
  /** Installs the failing hook on the server. */
  arm?(h: Harness, fault: () => Promise<never>): void;
  /** Sets the failure off from the offending client, once the witness is connected. */
  offend?(client: ClientSocket): void;
  /** The reason the offending socket leaves with, when it got connected first. */
  reason?: string;
  /** The error reported, when it is not the fault's own. */
  reports?: RegExp;
  /** Whether the failure came before the client had a socket, so that none is reported with it. */
  beforeSocket?: true;
  /**
   * Whether the failure refuses the client's CONNECT with `"server error"` rather than closing its
   * connection: the connection stays, with the other namespaces the client is in.
   */
  refused?: true;
  /** An event the server sends the witness while the failure happens, which it must still get. */
  witnessGets?: string;
  /** Extra checks once the failure was contained. */
  verify?(): void;
}

/** Adds a `connection` listener for the offending client only; what `listener` returns is returned (an async one's promise). */
function onOffender(h: Harness, nsp: string, listener: (socket: Socket) => unknown): void {
  h.io.of(nsp).on('connection', (socket: Socket) => (isOffender(socket) ? listener(socket) : undefined));
}

let disconnectingCalls = 0;
let disconnectCalls = 0;
let storedAck: ((...args: unknown[]) => void) | undefined;
let acksReceived: unknown[] = [];

const CASES: Case[] = [
  {
    name: 'connection listener',
    arm: (h, fault) => onOffender(h, '/', () => fault()),
  },
  {
    name: 'event listener',
    arm: (h, fault) => onOffender(h, '/', (socket) => socket.on('boom', () => fault())),
    offend: (client) => client.emit('boom'),
  },
  {
    name: 'onAny listener',
    arm: (h, fault) => onOffender(h, '/', (socket) => socket.onAny(() => fault())),
    offend: (client) => client.emit('boom'),
  },
  {
    name: 'onAnyOutgoing listener, during a broadcast to every client',
    arm: (h, fault) =>
      onOffender(h, '/', (socket) => {
        socket.onAnyOutgoing(() => fault());
        socket.on('broadcast', () => h.io.emit('news'));
      }),
    offend: (client) => client.emit('broadcast'),
    witnessGets: 'news',
  },
  {
    name: 'acknowledgement callback of a server emit',
    arm: (h, fault) =>
      onOffender(h, '/', (socket) => socket.on('ask me', () => socket.emit('question', () => fault()))),
    offend: (client) => {
      client.on('question', (ack: (answer: string) => void) => ack('answer'));
      client.emit('ask me');
    },
  },
  {
    name: 'acknowledgement callback of a server emit, at its timeout',
    arm: (h, fault) => onOffender(h, '/', (socket) => socket.timeout(10).emit('unanswered', () => fault())),
  },
  {
    name: 'acknowledgement function handed to a listener: twice, with too many arguments, after disconnect',
    kinds: ['sync'],
    arm: (h) =>
      onOffender(h, '/', (socket) =>
        socket.on('ask', (ack: (...args: unknown[]) => void) => {
          storedAck = ack;
          ack('first');
          ack('second');
          // More arguments than the call stack holds: the call itself throws a RangeError.
          ack(...new Array<number>(300_000).fill(0));
        }),
      ),
    offend: (client) => client.emit('ask', (answer: unknown) => acksReceived.push(answer)),
    reports: /^RangeError: Maximum call stack size exceeded$/,
    verify: () => {
      assert.deepEqual(acksReceived, ['first']);
      storedAck?.('after disconnect');
    },
  },
  {
    name: 'io.use middleware',
    refused: true,
    arm: (h, fault) => h.io.use((socket, next) => (isOffender(socket) ? fault() : next())),
  },
  {
    name: 'namespace middleware',
    nsp: '/guarded',
    refused: true,
    arm: (h, fault) => h.io.of('/guarded').use((socket, next) => (isOffender(socket) ? fault() : next())),
  },
  {
    name: 'dynamic namespace matcher',
    nsp: '/dynamic',
    beforeSocket: true,
    arm: (h, fault) => h.io.of((_name, auth, next) => (auth.offender === true ? fault() : next(null, true))),
  },
  {
    name: 'new_namespace listener, after a matcher that answers later',
    kinds: ['sync'],
    nsp: '/dynamic',
    beforeSocket: true,
    arm: (h, fault) => {
      h.io.of((name, _auth, next) => setTimeout(() => next(null, name === '/dynamic'), 1));
      h.io.on('new_namespace', () => fault());
    },
  },
  {
    name: 'socket.use middleware',
    arm: (h, fault) => onOffender(h, '/', (socket) => socket.use(() => fault())),
    offend: (client) => client.emit('boom'),
  },
  {
    name: 'event listener reached through a socket.use middleware that calls next later',
    arm: (h, fault) =>
      onOffender(h, '/', (socket) => {
        socket.use((_event, next) => setTimeout(next, 1));
        socket.on('boom', () => fault());
      }),
    offend: (client) => client.emit('boom'),
  },
  {
    name: 'disconnecting listener',
    arm: (h, fault) =>
      onOffender(h, '/', (socket) => {
        socket.on('disconnecting', () => {
          disconnectingCalls++;
          return fault();
        });
        socket.on('leave', () => socket.disconnect());
      }),
    offend: (client) => client.emit('leave'),
    reason: DisconnectReason.ServerNamespaceDisconnect,
    verify: () => assert.equal(disconnectingCalls, 1, 'the failure does not start the disconnection over'),
  },
  {
    name: 'disconnect listener',
    arm: (h, fault) =>
      onOffender(h, '/', (socket) => {
        socket.on('disconnect', () => {
          disconnectCalls++;
          return fault();
        });
        socket.on('leave', () => socket.disconnect());
      }),
    offend: (client) => client.emit('leave'),
    reason: DisconnectReason.ServerNamespaceDisconnect,
    verify: () => assert.equal(disconnectCalls, 1, 'the failure does not start the disconnection over'),
  },
  {
    name: 'disconnect listener, as the client is closed for another failure',
    arm: (h, fault) =>
      onOffender(h, '/', (socket) => {
        socket.on('disconnect', () => {
          disconnectCalls++;
          return fault();
        });
        socket.on('boom', () => fault());
      }),
    offend: (client) => client.emit('boom'),
    verify: () => assert.equal(disconnectCalls, 1, 'the failure does not start the disconnection over'),
  },
  {
    name: 'adapter addAll, through socket.join',
    options: (fault) => ({ adapter: faultyAdapter('addAll', fault) }),
    arm: (h) => onOffender(h, '/', (socket) => socket.on('join', () => void socket.join('boom'))),
    offend: (client) => client.emit('join'),
  },
  {
    name: 'adapter del, through socket.leave',
    options: (fault) => ({ adapter: faultyAdapter('del', fault) }),
    arm: (h) => onOffender(h, '/', (socket) => socket.on('leave', () => void socket.leave('boom'))),
    offend: (client) => client.emit('leave'),
  },
  {
    name: 'adapter broadcast, through socket.to(room).emit',
    options: (fault) => ({ adapter: faultyAdapter('broadcast', fault) }),
    arm: (h) => onOffender(h, '/', (socket) => socket.on('shout', () => socket.to('boom').emit('news'))),
    offend: (client) => client.emit('shout'),
  },
];

describe('an exception raised while serving a client is contained to that client', () => {
  const escaped = recordEscapes();

  for (const hook of CASES) {
    for (const kind of hook.kinds ?? (['sync', 'async'] as const)) {
      test(`${hook.name} (${kind})`, async () => {
        escaped.length = 0;
        disconnectingCalls = 0;
        disconnectCalls = 0;
        storedAck = undefined;
        acksReceived = [];
        const message = `${hook.name} failed (${kind})`;
        const fault = faultOf(kind, message);
        const h = await startServer(hook.options?.(fault) ?? {});
        try {
          const nsp = hook.nsp ?? '/';
          let offenderSocket: Socket | undefined;
          let leftWith: string | undefined;
          // (`io.of` would create the namespace that a dynamic one must not find.)
          if (!hook.beforeSocket) {
            h.io.of(nsp).on('connection', (socket: Socket) => {
              if (!isOffender(socket)) return;
              offenderSocket = socket;
              socket.on('disconnect', (reason: string) => (leftWith = reason));
            });
          }
          const echo = (socket: Socket): void =>
            void socket.on('echo', (value: unknown, ack: (v: unknown) => void) => ack(value));
          h.io.on('connection', echo);
          if (hook.refused) h.io.of('/elsewhere').on('connection', echo);
          hook.arm?.(h, fault);
          const reported = waitFor<[Error, Socket | undefined]>(h.io.sockets, 'error');

          // The offender joins first, so that a broadcast reaches it before the witness.
          const offender = h.client(nsp, { auth: { offender: true } });
          // A refused client keeps its connection for its other namespaces: it has one more here.
          const elsewhere = hook.refused ? offender.io.socket('/elsewhere').connect() : undefined;
          const outcome = hook.refused
            ? waitFor<[Error]>(offender, 'connect_error')
            : waitFor<[string]>(offender.io, 'close');
          await Promise.race([waitFor(offender, 'connect'), outcome]);
          const witness = h.client('/');
          await waitFor(witness, 'connect');
          const witnessGot = hook.witnessGets === undefined ? undefined : waitFor(witness, hook.witnessGets);
          hook.offend?.(offender);

          const [err, socket] = await reported;
          if (hook.reports) assert.match(String(err), hook.reports);
          else assert.equal(err.message, message, 'the error is reported as raised');
          if (hook.beforeSocket) assert.equal(socket, undefined);
          else assert.equal(isOffender(socket!), true, 'with the socket it was raised for');
          if (elsewhere !== undefined) {
            const [refusal] = (await outcome) as [Error];
            assert.equal(refusal.message, 'server error', 'refused, with nothing of the error told');
            assert.equal(await elsewhere.timeout(2000).emitWithAck('echo', 'still open'), 'still open');
          } else {
            await outcome;
          }
          // The client is closed right after the report, so a socket that got connected has left by now.
          if (offenderSocket !== undefined) assert.equal(leftWith, hook.reason ?? DisconnectReason.ServerError);
          hook.verify?.();

          assert.equal(await witness.timeout(2000).emitWithAck('echo', 'still here'), 'still here');
          assert.equal(witness.connected, true);
          await witnessGot;
          assert.deepEqual(escaped, [], 'nothing reached uncaughtException or unhandledRejection');
        } finally {
          await h.close();
        }
      });
    }
  }
});

describe('where contained errors are reported', () => {
  test('with no error listener, as a process warning carrying the stack', async () => {
    const h = await startServer();
    try {
      onOffender(h, '/', () => {
        throw new Error('nobody listens');
      });
      const warned = waitFor<[Error & { detail?: string }]>(process, 'warning');
      const offender = h.client('/', { auth: { offender: true } });
      await waitFor(offender.io, 'close');
      const [warning] = await warned;
      assert.equal(warning.name, 'ServerError');
      assert.match(warning.message, /nobody listens/);
      assert.match(warning.detail ?? '', /containment\.test\.ts/);
    } finally {
      await h.close();
    }
  });

  test('an error listener that throws is printed too, and throws nowhere', async () => {
    const h = await startServer();
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning);
    process.on('warning', onWarning);
    try {
      h.io.on('error', () => {
        throw new Error('the error listener is broken');
      });
      onOffender(h, '/', () => {
        throw new Error('first failure');
      });
      const offender = h.client('/', { auth: { offender: true } });
      await waitFor(offender.io, 'close');
      await until(() => warnings.length >= 2, 2000, 'two warnings');
      assert.deepEqual(
        warnings.map((warning) => /first failure|the error listener is broken/.exec(warning.message)?.[0]),
        ['first failure', 'the error listener is broken'],
      );
    } finally {
      process.off('warning', onWarning);
      await h.close();
    }
  });

  test("a namespace's own error listeners come first; the main namespace's hear the rest", async () => {
    const h = await startServer();
    try {
      const chat = h.io.of('/chat');
      const mainErrors: Error[] = [];
      h.io.on('error', (err) => void mainErrors.push(err));
      onOffender(h, '/chat', () => {
        throw new Error('in /chat');
      });
      const reported = waitFor<[Error, Socket | undefined]>(chat, 'error');
      h.client('/chat', { auth: { offender: true } });
      const [err, socket] = await reported;
      assert.equal(err.message, 'in /chat');
      assert.equal(socket?.nsp, chat);
      assert.deepEqual(mainErrors, []);
    } finally {
      await h.close();
    }
  });

  test('a failure no client answers for is reported without a socket, and disconnects nobody', async () => {
    const h = await startServer({ adapter: faultyAdapter('broadcast', faultOf('async', 'the broker is down')) });
    try {
      const client = h.client('/');
      await waitFor(client, 'connect');
      const errors: [Error, Socket | undefined][] = [];
      h.io.on('error', (err, socket) => void errors.push([err, socket]));
      h.io.to('boom').emit('news');
      // Nobody answers 'unanswered': the broadcast's callback runs from its timer, and throws.
      h.io.timeout(10).emit('unanswered', () => {
        throw new Error('broadcast callback failed');
      });
      await until(() => errors.length >= 2, 2000, 'two reports');
      assert.deepEqual(errors.map(([err, socket]) => [err.message, socket]).sort(), [
        ['broadcast callback failed', undefined],
        ['the broker is down', undefined],
      ]);
      assert.equal(client.connected, true);
    } finally {
      await h.close();
    }
  });

  test('a cluster adapter that rejects socketsJoin, socketsLeave or disconnectSockets: reported, nothing escapes', async () => {
    // As socket.io-adapter's ClusterAdapter does: the local part done, the publication to the other nodes failed.
    class BrokerDown extends InMemoryAdapter {
      override addSockets(opts: BroadcastOptions, rooms: Room[]): Promise<void> {
        super.addSockets(opts, rooms);
        return Promise.reject(new Error('join not published'));
      }

      override delSockets(opts: BroadcastOptions, rooms: Room[]): Promise<void> {
        super.delSockets(opts, rooms);
        return Promise.reject(new Error('leave not published'));
      }

      override disconnectSockets(opts: BroadcastOptions, close: boolean): Promise<void> {
        super.disconnectSockets(opts, close);
        return Promise.reject(new Error('disconnect not published'));
      }
    }
    const h = await startServer({ adapter: BrokerDown });
    const escaped: unknown[] = [];
    const record = (err: unknown): void => void escaped.push(err);
    process.on('unhandledRejection', record);
    try {
      const reports: [string, Socket | undefined][] = [];
      h.io.on('error', (err, socket) => void reports.push([err.message, socket]));
      const client = h.client('/');
      await waitFor(client, 'connect');
      const socket = h.io.sockets.sockets.get(client.id!)!;
      h.io.socketsJoin('red');
      h.io.of('/').in('red').socketsLeave('red');
      const [remote] = await h.io.fetchSockets();
      remote!.join('blue');
      assert.deepEqual([...socket.rooms].sort(), [socket.id, 'blue'].sort());
      const gone = waitFor(client, 'disconnect');
      h.io.disconnectSockets();
      assert.equal((await gone)[0], 'io server disconnect');
      await until(() => reports.length >= 4, 2000, 'four reports');
      assert.deepEqual(reports.map(([message]) => message).sort(), [
        'disconnect not published',
        'join not published',
        'join not published',
        'leave not published',
      ]);
      assert.ok(
        reports.every(([, subject]) => subject === undefined),
        'no socket is blamed',
      );
      await sleep(20);
      assert.deepEqual(escaped, []);
    } finally {
      process.off('unhandledRejection', record);
      await h.close();
    }
  });

  test('over polling too: the failing client goes, the other stays', async () => {
    const h = await startServer({}, 'polling');
    try {
      onOffender(h, '/', (socket) =>
        socket.on('boom', () => {
          throw new Error('over polling');
        }),
      );
      h.io.on('connection', (socket: Socket) =>
        socket.on('echo', (value: unknown, ack: (v: unknown) => void) => ack(value)),
      );
      const reported = waitFor<[Error]>(h.io.sockets, 'error');
      const offender = h.client('/', { auth: { offender: true } });
      const witness = h.client('/');
      await Promise.all([waitFor(offender, 'connect'), waitFor(witness, 'connect')]);
      offender.emit('boom');
      assert.equal((await reported)[0].message, 'over polling');
      await waitFor(offender.io, 'close');
      assert.equal(await witness.timeout(2000).emitWithAck('echo', 'polled'), 'polled');
    } finally {
      await h.close();
    }
  });

  test('a socket\'s error listener that throws on a parse error is reported; the client still leaves with "parse error"', async () => {
    const h = await startServer();
    try {
      const reason = new Promise<string>((resolve) => {
        h.io.on('connection', (socket: Socket) => {
          socket.on('error', () => {
            throw new Error('error listener failed');
          });
          socket.on('disconnect', resolve);
        });
      });
      const reported = waitFor<[Error]>(h.io.sockets, 'error');
      const client = h.client('/');
      await waitFor(client, 'connect');
      client.io.engine.send('2["x"');
      assert.equal((await reported)[0].message, 'error listener failed');
      assert.equal(await reason, DisconnectReason.ParseError);
    } finally {
      await h.close();
    }
  });
});

describe('failures the application handles, and failures shared by clients', () => {
  test('a join or leave rejection the application handles is its own: the client stays, nothing is reported', async () => {
    const failure = faultOf('async', 'the broker is down');
    class BrokenRooms extends InMemoryAdapter {
      override addAll(id: SocketId, rooms: Set<Room>): Promise<void> | void {
        return rooms.has('boom') ? failure() : super.addAll(id, rooms);
      }

      override del(id: SocketId, room: Room): Promise<void> | void {
        return room === 'boom' ? failure() : super.del(id, room);
      }
    }
    const h = await startServer({ adapter: BrokenRooms });
    const escaped: unknown[] = [];
    const record = (err: unknown): void => void escaped.push(err);
    process.on('unhandledRejection', record);
    try {
      const reports: Error[] = [];
      h.io.on('error', (err) => void reports.push(err));
      h.io.on('connection', (socket: Socket) => {
        // Awaited, as most code does.
        socket.on('join', async (ack: (outcome: string) => void) => {
          try {
            await socket.join('boom');
            ack('joined');
          } catch (err) {
            ack(`not joined: ${(err as Error).message}`);
          }
        });
        // A handler attached, no await.
        socket.on('leave', (ack: (outcome: string) => void) => {
          (socket.leave('boom') as Promise<void>).then(
            () => ack('left'),
            (err: Error) => ack(`not left: ${err.message}`),
          );
        });
      });
      const client = h.client('/');
      await waitFor(client, 'connect');
      assert.equal(await client.timeout(2000).emitWithAck('join'), 'not joined: the broker is down');
      assert.equal(await client.timeout(2000).emitWithAck('leave'), 'not left: the broker is down');
      assert.equal(client.connected, true);
      assert.deepEqual(reports, []);
      assert.deepEqual(escaped, []);
    } finally {
      process.off('unhandledRejection', record);
      await h.close();
    }
  });

  test('one error object raised for three clients is reported three times, once with each socket', async () => {
    const h = await startServer();
    try {
      // An application may keep one error (or one rejected promise) and hand it out again.
      const shared = new Error('cached failure');
      const reports: [Error, Socket | undefined][] = [];
      h.io.on('error', (err, socket) => void reports.push([err, socket]));
      h.io.on('connection', (socket: Socket) => socket.on('boom', () => Promise.reject(shared)));
      const clients = [h.client('/'), h.client('/'), h.client('/')];
      await Promise.all(clients.map((client) => waitFor(client, 'connect')));
      const closed = clients.map((client) => waitFor(client.io, 'close'));
      for (const client of clients) client.emit('boom');
      await Promise.all(closed);
      await until(() => reports.length >= 3, 2000, 'three reports');
      assert.deepEqual(
        reports.map(([err]) => err),
        [shared, shared, shared],
      );
      assert.equal(new Set(reports.map(([, socket]) => socket?.id)).size, 3, 'one report with each socket');
    } finally {
      await h.close();
    }
  });
});
