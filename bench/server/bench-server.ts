/** A server under test, as the benchmark server process sees it. */
export interface BenchServer {
  /** The port it listens on, on 127.0.0.1. */
  readonly port: number;
  /** Open WebSocket connections (handshake done, not yet closed). */
  connections(): number;
  /** Free text for the report, e.g. whether native helpers are active. */
  readonly details: string;
  /** Stops listening and drops every connection. */
  close(): Promise<void>;
}

/**
 * Settings every implementation gets alike. Each server answers `/broadcast` by sending every
 * message it receives there to all its clients, and every other path by echoing each message to
 * its sender with the same type.
 */
export interface BenchServerOptions {
  /** Largest message accepted, in bytes. */
  readonly maxPayload: number;
}

/** Starts one implementation's server on 127.0.0.1 with an ephemeral port. */
export type StartBenchServer = (options: BenchServerOptions) => Promise<BenchServer>;

/** The path whose messages are broadcast to every client. */
export const BROADCAST_PATH = '/broadcast';
