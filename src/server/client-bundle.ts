import { createReadStream, existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pipeline, type Transform } from 'node:stream';
import { createBrotliCompress, createDeflate, createGzip } from 'node:zlib';
import { corsMiddleware, type CorsOptions, type CorsOptionsDelegate } from '../engine/cors.js';

/**
 * The files of socket.io-client's `dist/` served under the server's path, as the official server
 * serves its copy. Not the msgpack bundle: this server speaks only the default parser, so a page
 * loading it could not connect; its requests go on to the application (404 by default).
 */
const CLIENT_FILES: ReadonlySet<string> = new Set([
  'socket.io.js',
  'socket.io.js.map',
  'socket.io.min.js',
  'socket.io.min.js.map',
  'socket.io.esm.min.js',
  'socket.io.esm.min.js.map',
]);

/** An installed socket.io-client: the folder of its bundles and its version (the ETag). */
export interface ClientBundle {
  readonly dir: string;
  readonly version: string;
}

/**
 * Finds the socket.io-client package as a module at `from` (a file path or `file:` URL) would
 * `require` it. It is never a dependency of this package: from here, Node's lookup walks up to the
 * application's `node_modules`, where npm, pnpm and yarn put the application's dependencies.
 * Returns `undefined` when it is not installed.
 */
export function findClientBundle(from: string | URL = import.meta.url): ClientBundle | undefined {
  let manifest: string;
  try {
    manifest = createRequire(from).resolve('socket.io-client/package.json');
  } catch {
    return undefined;
  }
  const dir = join(dirname(manifest), 'dist');
  if (!existsSync(join(dir, 'socket.io.js'))) return undefined;
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  return { dir, version };
}

/**
 * The bundle to serve for the `serveClient` setting: none when `false`; when `true`, the installed
 * socket.io-client or an error saying how to get one; by default (`undefined`) the installed one
 * if there is one.
 */
export function clientBundleFor(serveClient: boolean | undefined, from?: string | URL): ClientBundle | undefined {
  if (serveClient === false) return undefined;
  const bundle = findClientBundle(from);
  if (bundle === undefined && serveClient === true) {
    throw new Error(
      'serveClient: the client bundle is served from the socket.io-client package, which is not installed; run `npm install socket.io-client`, or set serveClient: false',
    );
  }
  return bundle;
}

/**
 * Serves the bundle's files at `<path>/<file>` on `server`, ahead of the request listeners it
 * has (the engine's and the application's), as the official server does: the `cors` option's
 * middleware first, then an ETag of the client's version (304 when the browser has it),
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
    const file = pathname.startsWith(prefix) ? pathname.slice(prefix.length) : '';
    if (!CLIENT_FILES.has(file)) {
      for (const listener of previous) listener.call(server, req, res);
      return;
    }
    // As the official server: a CORS error does not keep a public file from being served; CORS
    // only decides whether another origin's page may read it. A preflight is answered by CORS.
    if (applyCors === undefined) sendFile(bundle, file, req, res);
    else applyCors(req, res, () => sendFile(bundle, file, req, res));
  });
}

function sendFile(bundle: ClientBundle, file: string, req: IncomingMessage, res: ServerResponse): void {
  // RFC 9110 §8.8.3: an entity tag is quoted; §13.1.2: If-None-Match compares weakly.
  const etag = `"${bundle.version}"`;
  const ifNoneMatch = req.headers['if-none-match'];
  if (ifNoneMatch === etag || ifNoneMatch === `W/${etag}`) {
    res.writeHead(304);
    res.end();
    return;
  }
  res.setHeader('Cache-Control', 'public, max-age=0');
  res.setHeader('Content-Type', `application/${file.endsWith('.map') ? 'json' : 'javascript'}; charset=utf-8`);
  res.setHeader('ETag', etag);
  // The body depends on Accept-Encoding: a shared cache must not hand a compressed copy to a
  // client that did not ask for it (RFC 9110 §12.5.5).
  const vary = res.getHeader('Vary');
  res.setHeader('Vary', vary === undefined ? 'Accept-Encoding' : `${String(vary)}, Accept-Encoding`);
  const coding = chooseEncoding(req.headers['accept-encoding']);
  const source = createReadStream(join(bundle.dir, file));
  // pipeline() destroys every stream on a failure, the response included: nothing more to do.
  const done = (): void => undefined;
  if (coding === undefined) {
    res.writeHead(200);
    pipeline(source, res, done);
    return;
  }
  res.writeHead(200, { 'Content-Encoding': coding });
  pipeline(source, COMPRESSORS[coding](), res, done);
}

const COMPRESSORS = { br: createBrotliCompress, gzip: createGzip, deflate: createDeflate } as const satisfies Record<
  string,
  () => Transform
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
