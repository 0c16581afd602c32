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
  /** Accept permessage-deflate (RFC 7692) with these settings; absent, compression is off. */
  readonly deflate?: DeflateSettings | undefined;
}

/**
 * Compression settings given alike to every implementation that supports permessage-deflate:
 * context takeover both ways and 15-bit windows (the defaults of both), plus these.
 */
export interface DeflateSettings {
  /** Messages shorter than this are sent uncompressed. */
  readonly threshold: number;
  /** zlib compression level. */
  readonly level: number;
  /** zlib memLevel. */
  readonly memLevel: number;
}

/** The settings of the compressed-echo scenario: every message compressed, zlib level 1, memLevel 8. */
export const DEFLATE_SETTINGS: DeflateSettings = { threshold: 0, level: 1, memLevel: 8 };

/** Starts one implementation's server on 127.0.0.1 with an ephemeral port. */
export type StartBenchServer = (options: BenchServerOptions) => Promise<BenchServer>;

/** The path whose messages are broadcast to every client. */
export const BROADCAST_PATH = '/broadcast';
