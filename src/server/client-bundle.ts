import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { corsMiddleware, type CorsOptions, type CorsOptionsDelegate } from '../engine/cors.js';

/**
 * The browser bundles of `switchboard/client` served under the server's path, with the names the
 * official server uses for its own client's, so a page's `<script src="/socket.io/socket.io.js">`
 * (a global `io`) or `import { io } from '/socket.io/socket.io.esm.min.js'` works unchanged, and
 * `socket.io.websocket.esm.min.js`, the same client over WebSocket only (`switchboard/client/websocket`,
 * no long-polling code). Built by `scripts/build-client.mjs` into the package's `bundle/`.
 * Not the msgpack bundle: this server speaks only the default parser, so those requests go on to
 * the application (404 by default).
 */
const CLIENT_FILES: readonly string[] = [
  'socket.io.js',
  'socket.io.min.js',
  'socket.io.esm.min.js',
  'socket.io.websocket.esm.min.js',
];

/** One file of the bundle, held in memory with its compressed forms (made on first request). */
interface BundleFile {
  readonly body: Buffer;
  /** A strong ETag of the contents (RFC 9110 §8.8.3), so a rebuilt bundle is never taken for a cached one. */
  readonly etag: string;
  readonly encoded: Partial<Record<Coding, Buffer>>;
}

/** The client bundle: its files by name. */
export interface ClientBundle {
  readonly dir: string;
  readonly files: ReadonlyMap<string, BundleFile>;
}

/** The package's `bundle/` folder: two levels above this module in the sources and in `dist/` alike. */
const BUNDLE_DIR = fileURLToPath(new URL('../../bundle/', import.meta.url));

let loaded: ClientBundle | undefined;

/**
 * The built client bundle in `dir`, read once; `undefined` when it has not been built (a source
 * checkout before `npm run build`). The published package always holds it.
 */
export function findClientBundle(dir: string = BUNDLE_DIR): ClientBundle | undefined {
  if (loaded?.dir === dir) return loaded;
  if (!CLIENT_FILES.every((file) => existsSync(join(dir, file)))) return undefined;
  const files = new Map<string, BundleFile>();
  for (const file of CLIENT_FILES) {
    const body = readFileSync(join(dir, file));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    files.set(file, { body, etag, encoded: {} });
  }
  loaded = { dir, files };
  return loaded;
}

/**
 * The bundle to serve for the `serveClient` setting: none when `false`; when `true`, the built
 * bundle or an error saying how to build it; by default (`undefined`) the built one if there is one.
 */
export function clientBundleFor(serveClient: boolean | undefined, dir?: string): ClientBundle | undefined {
  if (serveClient === false) return undefined;
  const bundle = findClientBundle(dir);
  if (bundle === undefined && serveClient === true) {
    throw new Error(
      'serveClient: the client bundle has not been built in this checkout; run `npm run build`, or set serveClient: false',
    );
  }
  return bundle;
}

/**
 * Serves the bundle's files at `<path>/<file>` on `server`, ahead of the request listeners it
 * has (the engine's and the application's), as the official server does: the `cors` option's
 * middleware first, then an ETag of the contents (304 when the browser has them),
 * `Cache-Control: public, max-age=0`, and br, gzip or deflate as the request accepts.
 */
export function serveClientBundle(
  server: HttpServer | HttpsServer,
  path: string,
  bundle: ClientBundle,
  cors: CorsOptions | CorsOptionsDelegate | undefined,
): void {
  const prefix = path.endsWith('/') ? path : `${path}/`;
  const applyCors = cors === undefined ? undefined : corsMiddleware(cors);
  const previous = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const pathname = (req.url ?? '').split('?')[0]!;
    const file = pathname.startsWith(prefix) ? bundle.files.get(pathname.slice(prefix.length)) : undefined;
    if (file === undefined) {
      for (const listener of previous) listener.call(server, req, res);
      return;
    }
    // As the official server: a CORS error does not keep a public file from being served; CORS
    // only decides whether another origin's page may read it. A preflight is answered by CORS.
    if (applyCors === undefined) sendFile(file, req, res);
    else applyCors(req, res, () => sendFile(file, req, res));
  });
}

function sendFile(file: BundleFile, req: IncomingMessage, res: ServerResponse): void {
  // RFC 9110 §13.1.2: If-None-Match compares weakly, and may list several tags.
  const ifNoneMatch = req.headers['if-none-match'];
  if (ifNoneMatch?.split(',').some((tag) => tag.trim().replace(/^W\//, '') === file.etag)) {
    res.writeHead(304, { ETag: file.etag });
    res.end();
    return;
  }
  res.setHeader('Cache-Control', 'public, max-age=0');
  res.setHeader('Content-Type', 'application/javascript; charset=utf-8');
  res.setHeader('ETag', file.etag);
  // The body depends on Accept-Encoding: a shared cache must not hand a compressed copy to a
  // client that did not ask for it (RFC 9110 §12.5.5).
  const vary = res.getHeader('Vary');
  res.setHeader('Vary', vary === undefined ? 'Accept-Encoding' : `${String(vary)}, Accept-Encoding`);
  const coding = chooseEncoding(req.headers['accept-encoding']);
  if (coding === undefined) {
    res.writeHead(200, { 'Content-Length': file.body.length });
    res.end(req.method === 'HEAD' ? undefined : file.body);
    return;
  }
  // Compressed once per file and coding, then served from memory: the bundle never changes while
  // the process runs.
  const body = (file.encoded[coding] ??= COMPRESSORS[coding](file.body));
  res.writeHead(200, { 'Content-Encoding': coding, 'Content-Length': body.length });
  res.end(req.method === 'HEAD' ? undefined : body);
}

const COMPRESSORS = { br: brotliCompressSync, gzip: gzipSync, deflate: deflateSync } as const satisfies Record<
  string,
  (body: Buffer) => Buffer
>;

type Coding = keyof typeof COMPRESSORS;

const CODINGS: readonly Coding[] = ['br', 'gzip', 'deflate'];

/** How well one Accept-Encoding entry matches a coding: its weight, exact (1) or `*` (0), its place in the header. */
interface Match {
  readonly q: number;
  readonly exact: number;
  readonly at: number;
}

/**
 * The coding to send: the one of br, gzip and deflate that Accept-Encoding weighs highest (RFC
 * 9110 §12.5.3); on a tie the one named exactly rather than by `*`, then the one named first in
 * the header, then br, gzip, deflate in that order, as the `negotiator` package the official
 * server relies on decides. `undefined` when none is acceptable: the file is sent as it is.
 */
export function chooseEncoding(header: string | undefined): Coding | undefined {
  const entries = (header ?? '').split(',').flatMap((part, at) => {
    const match = /^\s*([^\s;]+)\s*(?:;(.*))?$/.exec(part);
    if (match === null) return [];
    const weight = (match[2] ?? '')
      .split(';')
      .map((param) => param.trim().split('='))
      .find(([name]) => name === 'q');
    return [{ coding: match[1]!.toLowerCase(), q: weight === undefined ? 1 : Number.parseFloat(weight[1] ?? ''), at }];
  });
  let best: (Match & { readonly coding: Coding }) | undefined;
  for (const coding of CODINGS) {
    let match: Match | undefined;
    for (const entry of entries) {
      const exact = entry.coding === coding ? 1 : entry.coding === '*' ? 0 : -1;
      if (exact < 0) continue;
      const candidate = { q: entry.q, exact, at: entry.at };
      if (match === undefined || describesBetter(candidate, match)) match = candidate;
    }
    if (match !== undefined && match.q > 0 && (best === undefined || preferred(match, best)))
      best = { ...match, coding };
  }
  return best?.coding;
}

/** Whether entry `a` describes a coding better than `b`, as `negotiator` picks: the exact one, then the heavier, then the later. */
function describesBetter(a: Match, b: Match): boolean {
  return (a.exact - b.exact || a.q - b.q || a.at - b.at) > 0;
}

/** Whether `a` goes before `b` (reached in CODINGS order, so a full tie keeps `b`). */
function preferred(a: Match, b: Match): boolean {
  return (a.q - b.q || a.exact - b.exact || b.at - a.at) > 0;
}
