/**
 * An in-test Engine.IO session for unit tests of the Socket.IO layer: the manager drives it as it
 * drives the real one, and the test plays the server (opens it, feeds it messages, closes it).
 */
import { Emitter } from '../../src/client/emitter.js';
import type {
  ClientPlatform,
  EngineCloseReason,
  EngineSocketEvents,
  EngineSocketLike,
  EngineSocketOptions,
  TransportInfo,
} from '../../src/client/engine/types.js';
import { Manager } from '../../src/client-node/index.js';
import { nodePlatform } from '../../src/client-node/platform.js';

type Events = { [E in keyof EngineSocketEvents]: EngineSocketEvents[E] };

export class FakeEngine extends Emitter<Events> implements EngineSocketLike {
  readonly sent: (string | Uint8Array)[] = [];
  readonly transport: TransportInfo = { name: 'websocket' };
  id: string | undefined;
  writable = false;
  closed = false;

  constructor(readonly options: EngineSocketOptions) {
    super();
  }

  send(data: string | Uint8Array): void {
    if (!this.closed) this.sent.push(data);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.emitEvent('close', 'forced close');
  }

  /** The handshake completed. */
  open(): void {
    this.id = 'engine-id';
    this.writable = true;
    this.emitEvent('open');
  }

  /** The server sent a message. */
  receive(data: string | Uint8Array): void {
    this.emitEvent('message', data);
  }

  /** The session could not open. */
  fail(message = 'refused'): void {
    this.closed = true;
    this.emitEvent('error', new Error(message));
    this.emitEvent('close', 'transport error');
  }

  /** The session ended under the manager. */
  drop(reason: EngineCloseReason = 'transport close'): void {
    this.closed = true;
    this.writable = false;
    this.emitEvent('close', reason);
  }

  /** The text packets sent, without the binary attachments. */
  get texts(): string[] {
    return this.sent.filter((data): data is string => typeof data === 'string');
  }
}

/** Listeners of the test platform's `online` event. */
export const onlineListeners = new Set<() => void>();

const testPlatform: ClientPlatform = {
  ...nodePlatform,
  onNetworkOnline(listener) {
    onlineListeners.add(listener);
    return () => onlineListeners.delete(listener);
  },
};

/** Every session the test managers made, latest last. */
export const engines: FakeEngine[] = [];

/** The latest session. */
export function engine(): FakeEngine {
  const latest = engines.at(-1);
  if (latest === undefined) throw new Error('no engine was made');
  return latest;
}

/** A manager on {@link FakeEngine} sessions (and a platform whose `online` event the test fires). */
export class TestManager extends Manager {
  protected static override platform = testPlatform;

  protected override createEngine(options: EngineSocketOptions): FakeEngine {
    const made = new FakeEngine(options);
    engines.push(made);
    return made;
  }
}

/** A connected socket of a test manager: the engine opened and the namespace answered (what was sent is cleared). */
export function connectedSocket(options: ConstructorParameters<typeof TestManager>[1] = {}) {
  const manager = new TestManager('http://example.test', { reconnection: false, ...options });
  const socket = manager.socket('/');
  engine().open();
  engine().receive('0{"sid":"s1"}');
  // The CONNECT packet; tests look at what follows.
  engine().sent.length = 0;
  return { manager, socket, engine: engine() };
}
