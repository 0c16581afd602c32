import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Server } from '../../server/index.js';

/**
 * One demo app of `switchboard serve`: its page folder under `examples/`, its namespace(s) on the
 * shared realtime server, and (for apps whose devices speak bare WebSocket) an upgrade path of
 * its own. The demo server creates every app once, before it listens, and closes them on shutdown.
 */
export interface DemoApp {
  /** The folder of its pages under `examples/` and the first segment of their URL (`rooms` → `/rooms/`). */
  readonly name: string;
  /**
   * A bare-WebSocket endpoint of the app (e.g. `/devices`), routed to {@link DemoApp.handleUpgrade};
   * `undefined` when the app speaks only through the realtime server.
   */
  readonly upgradePath?: string;
  /** Takes an upgrade request for {@link DemoApp.upgradePath}. */
  handleUpgrade?(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Stops the app's timers and connections; the realtime server itself is closed by the demo server. */
  close(): Promise<void>;
}

/** What an app gets when it is created. */
export interface DemoAppContext {
  /** The realtime server shared by the apps (one namespace or more each). */
  readonly io: Server;
  /** How long shutdown waits for connections to close (ms). */
  readonly shutdownTimeout: number;
}
