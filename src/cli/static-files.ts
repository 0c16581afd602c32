import { createReadStream, type Stats } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { extname, join, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';

/** One directory the static handler serves files from. */
export interface StaticRoot {
  /** The directory whose files are served under `/`. */
  readonly directory: string;
  /** Extra response headers for files from this root (a `Content-Security-Policy`, say). @default {} */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Options of {@link createStaticHandler}. */
export interface StaticFilesOptions {
  /** Directories to look in, first match wins. A root that does not exist is skipped. */
  readonly roots: readonly StaticRoot[];
  /**
   * The `Cache-Control` header of every file. The default makes browsers revalidate on each use,
   * which costs a 304 round trip and never serves a stale demo after an edit.
   * @default 'no-cache'
   */
  readonly cacheControl?: string;
  /** The file a directory URL (ending in `/`) serves. @default 'index.html' */
  readonly indexFile?: string;
}

/** Handles one HTTP request by serving a file, a redirect or an error status; never throws. */
export type StaticHandler = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

/** Content types by file extension; text types carry their charset. */
const contentTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.pdf': 'application/pdf',
  '.mp3': 'audio/mpeg',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
};

/** The content type a file is served with, `application/octet-stream` when the extension is unknown. */
export function contentTypeOf(fileName: string): string {
  return contentTypes[extname(fileName).toLowerCase()] ?? 'application/octet-stream';
}

/** A request target split into decoded path segments, or the status that rejects it. */
export type RequestPath =
  | { readonly ok: true; readonly segments: readonly string[]; readonly directory: boolean; readonly hidden: boolean }
  | { readonly ok: false; readonly status: 400 };

// C0 and C1 controls and DEL never name a file we serve.
const controlCharacter = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Splits a raw request target (`req.url`) into percent-decoded path segments. It works on the
 * raw bytes rather than through `new URL`, whose dot-segment removal would quietly turn
 * `/a/../../x` into `/x`: a target that tries to climb (`..`, `.`, an encoded `/` or `\`,
 * a NUL, bad percent-encoding) is refused with 400 instead of being reinterpreted. Empty segments
 * (`//`) are dropped. `hidden` is set when a segment starts with a dot; such files are not served.
 *
 * @example
 * parseRequestPath('/chat/app.js?v=2'); // { ok: true, segments: ['chat', 'app.js'], directory: false, hidden: false }
 * parseRequestPath('/%2e%2e/etc/passwd'); // { ok: false, status: 400 }
 */
export function parseRequestPath(target: string): RequestPath {
  // RFC 9112 §3.2: only origin-form ("/path?query") targets name a resource on this server.
  if (!target.startsWith('/')) return { ok: false, status: 400 };
  const end = target.search(/[?#]/);
  const path = end === -1 ? target : target.slice(0, end);
  const segments: string[] = [];
  let hidden = false;
  for (const raw of path.split('/')) {
    if (raw === '') continue;
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return { ok: false, status: 400 };
    }
    if (segment === '.' || segment === '..') return { ok: false, status: 400 };
    if (segment.includes('/') || segment.includes('\\') || controlCharacter.test(segment)) {
      return { ok: false, status: 400 };
    }
    if (segment.startsWith('.')) hidden = true;
    segments.push(segment);
  }
  return { ok: true, segments, directory: path.endsWith('/'), hidden };
}

/** A file found under a root, with the headers of that root. */
interface Found {
  readonly path: string;
  readonly stats: Stats;
  readonly root: StaticRoot;
}

/** Why a lookup did not produce a file. */
type Miss = 'not-found' | 'is-directory';

const notFoundCodes = new Set(['ENOENT', 'ENOTDIR', 'EACCES', 'EPERM', 'ENAMETOOLONG', 'ELOOP']);

function isNotFound(error: unknown): boolean {
  return error instanceof Error && notFoundCodes.has((error as NodeJS.ErrnoException).code ?? '');
}

/**
 * Creates a request handler that serves files from one or more directories: GET and HEAD only
 * (405 otherwise), a 301 to the slash-terminated URL for a directory and its index file there,
 * 404 for anything missing, hidden (dot files), or outside the roots, including through a
 * symbolic link. Every file carries `ETag`, `Last-Modified`, `Cache-Control` and
 * `X-Content-Type-Options: nosniff`; conditional requests get 304.
 *
 * @example
 * const serveFiles = createStaticHandler({ roots: [{ directory: './public' }] });
 * http.createServer((req, res) => void serveFiles(req, res)).listen(8080);
 */
export function createStaticHandler(options: StaticFilesOptions): StaticHandler {
  const cacheControl = options.cacheControl ?? 'no-cache';
  const indexFile = options.indexFile ?? 'index.html';
  const realRoots = new Map<StaticRoot, Promise<string | undefined>>();

  function realRoot(root: StaticRoot): Promise<string | undefined> {
    let resolved = realRoots.get(root);
    if (resolved === undefined) {
      resolved = realpath(root.directory).catch(() => undefined);
      realRoots.set(root, resolved);
    }
    return resolved;
  }

  async function lookUp(root: StaticRoot, segments: readonly string[], directory: boolean): Promise<Found | Miss> {
    const base = await realRoot(root);
    if (base === undefined) return 'not-found';
    try {
      let path = join(base, ...segments);
      let stats = await stat(path);
      if (stats.isDirectory()) {
        if (!directory) return 'is-directory';
        path = join(path, indexFile);
        stats = await stat(path);
      }
      if (!stats.isFile()) return 'not-found';
      // A symbolic link inside the root may point anywhere; only serve what really lies inside.
      const real = await realpath(path);
      if (!real.startsWith(base.endsWith(sep) ? base : base + sep)) return 'not-found';
      return { path: real, stats, root };
    } catch (error) {
      if (isNotFound(error)) return 'not-found';
      throw error;
    }
  }

  return async function serveStatic(request, response) {
    try {
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        sendStatus(response, 405, { Allow: 'GET, HEAD' });
        return;
      }
      const target = parseRequestPath(request.url ?? '');
      if (!target.ok) {
        sendStatus(response, target.status);
        return;
      }
      if (target.hidden) {
        sendStatus(response, 404);
        return;
      }
      for (const root of options.roots) {
        const found = await lookUp(root, target.segments, target.directory);
        if (found === 'not-found') continue;
        if (found === 'is-directory') {
          // The Location is rebuilt from the decoded segments, so `//host/` can never become
          // a redirect to another origin.
          const location = '/' + target.segments.map(encodeURIComponent).join('/') + '/' + queryOf(request.url ?? '');
          sendStatus(response, 301, { Location: location });
          return;
        }
        await sendFile(request, response, found, cacheControl);
        return;
      }
      sendStatus(response, 404);
    } catch {
      if (response.headersSent) response.destroy();
      else sendStatus(response, 500);
    }
  };
}

function queryOf(target: string): string {
  const start = target.indexOf('?');
  if (start === -1) return '';
  const end = target.indexOf('#', start);
  return end === -1 ? target.slice(start) : target.slice(start, end);
}

async function sendFile(
  request: IncomingMessage,
  response: ServerResponse,
  found: Found,
  cacheControl: string,
): Promise<void> {
  const { stats } = found;
  const etag = `W/"${stats.size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}"`;
  const lastModified = stats.mtime.toUTCString();
  const headers: Record<string, string> = {
    ...found.root.headers,
    'Content-Type': contentTypeOf(found.path),
    'Cache-Control': cacheControl,
    ETag: etag,
    'Last-Modified': lastModified,
    'X-Content-Type-Options': 'nosniff',
  };
  if (isFresh(request, etag, stats)) {
    response.writeHead(304, headers).end();
    return;
  }
  headers['Content-Length'] = String(stats.size);
  response.writeHead(200, headers);
  if (request.method === 'HEAD') {
    response.end();
    return;
  }
  await pipeline(createReadStream(found.path), response);
}

/** RFC 9110 §13.1: `If-None-Match` decides when present; otherwise `If-Modified-Since` does. */
function isFresh(request: IncomingMessage, etag: string, stats: Stats): boolean {
  const ifNoneMatch = request.headers['if-none-match'];
  if (ifNoneMatch !== undefined) {
    // §13.1.2 compares weakly: W/"x" matches "x".
    const opaque = etag.slice(2);
    return ifNoneMatch
      .split(',')
      .map((tag) => tag.trim())
      .some((tag) => tag === '*' || tag.replace(/^W\//, '') === opaque);
  }
  const ifModifiedSince = request.headers['if-modified-since'];
  if (ifModifiedSince === undefined) return false;
  const since = Date.parse(ifModifiedSince);
  // HTTP dates have one-second resolution.
  return !Number.isNaN(since) && Math.floor(stats.mtimeMs / 1000) * 1000 <= since;
}

function sendStatus(response: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  const body = `${status} ${STATUS_CODES[status] ?? ''}\n`;
  response.writeHead(status, {
    ...headers,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    'X-Content-Type-Options': 'nosniff',
  });
  response.end(body);
}
