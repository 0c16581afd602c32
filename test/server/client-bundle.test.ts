/**
 * `serveClient`: the server serves the browser bundles of `switchboard/client` at
 * `<path>/socket.io.js` (a global `io`, as the official bundle) and the minified and ES module
 * files, as the official server serves its own client: ETag, 304, compression, CORS, ahead of the
 * application.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { runInNewContext } from 'node:vm';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { chooseEncoding, clientBundleFor, findClientBundle } from '../../src/server/client-bundle.js';
import { Server } from '../../src/server/index.js';
import { rawRequest, type RawRequestOptions, type RawResponse } from '../engine/helpers.js';
import { BUNDLE_DIR, buildClientBundle } from '../helpers/client-bundle.js';
import { startServer } from './helpers.js';
import { waitFor } from '../helpers/wait.js';

const built = (file: string): Buffer => readFileSync(join(BUNDLE_DIR, file));

before(buildClientBundle);

/** A GET that gives up after 5 s (status 0). */
function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  options: RawRequestOptions = {},
): Promise<RawResponse> {
  return rawRequest(port, path, { headers, signal: AbortSignal.timeout(5000), ...options });
}

describe('serving the client bundle', () => {
  test('serves socket.io.js by default: our bundle, which defines a global io() as the official one', async () => {
    const harness = await startServer();
    try {
      assert.equal(harness.io.serveClient(), true);
      const response = await get(harness.port, '/socket.io/socket.io.js?v=1');
      assert.equal(response.status, 200);
      assert.deepEqual(response.raw, built('socket.io.js'));
      assert.equal(response.headers['content-type'], 'application/javascript; charset=utf-8');
      assert.equal(response.headers['cache-control'], 'public, max-age=0');
      assert.match(String(response.headers.etag), /^"[\w-]{22}"$/);
      assert.equal(response.headers['content-encoding'], undefined);
      const page: { io?: { (): unknown; Manager?: unknown; Socket?: unknown; connect?: unknown; protocol?: unknown } } =
        {};
      runInNewContext(response.body, page);
      assert.equal(typeof page.io, 'function');
      assert.equal(typeof page.io?.Manager, 'function');
      assert.equal(typeof page.io?.Socket, 'function');
      assert.equal(page.io?.connect, page.io);
      assert.equal(page.io?.protocol, 5);
    } finally {
      await harness.close();
    }
  });

  test('serves the minified and ES module bundles', async () => {
    const harness = await startServer();
    try {
      for (const file of ['socket.io.min.js', 'socket.io.esm.min.js', 'socket.io.websocket.esm.min.js']) {
        const response = await get(harness.port, `/socket.io/${file}`);
        assert.equal(response.status, 200, file);
        assert.deepEqual(response.raw, built(file), file);
      }
    } finally {
      await harness.close();
    }
  });

  test('answers 304 when the browser holds these contents (strong, weak or listed ETag), the file otherwise', async () => {
    const harness = await startServer();
    try {
      const current = String((await get(harness.port, '/socket.io/socket.io.min.js')).headers.etag);
      const other = String((await get(harness.port, '/socket.io/socket.io.js')).headers.etag);
      assert.notEqual(current, other, 'each file has its own tag');
      for (const etag of [current, `W/${current}`, `"stale", ${current}`]) {
        const response = await get(harness.port, '/socket.io/socket.io.min.js', { 'If-None-Match': etag });
        assert.equal(response.status, 304, etag);
        assert.equal(response.raw.length, 0);
      }
      const stale = await get(harness.port, '/socket.io/socket.io.min.js', { 'If-None-Match': '"0.0.1"' });
      assert.equal(stale.status, 200);
    } finally {
      await harness.close();
    }
  });

  test('compresses as Accept-Encoding asks: gzip, br, deflate, their weights and order as the official server', async () => {
    const harness = await startServer();
    try {
      const decoders = { gzip: gunzipSync, br: brotliDecompressSync, deflate: inflateSync } as const;
      for (const [accept, coding] of [
        ['gzip', 'gzip'],
        ['gzip, deflate, br', 'gzip'],
        ['br;q=1, gzip;q=0.5', 'br'],
        ['deflate', 'deflate'],
      ] as const) {
        const response = await get(harness.port, '/socket.io/socket.io.js', { 'Accept-Encoding': accept });
        assert.equal(response.status, 200, accept);
        assert.equal(response.headers['content-encoding'], coding, accept);
        assert.match(String(response.headers.vary), /Accept-Encoding/);
        assert.deepEqual(decoders[coding](response.raw), built('socket.io.js'), accept);
      }
    } finally {
      await harness.close();
    }
  });

  test('chooses the coding as negotiator does', () => {
    assert.equal(chooseEncoding(undefined), undefined);
    assert.equal(chooseEncoding('identity'), undefined);
    assert.equal(chooseEncoding('*'), 'br');
    assert.equal(chooseEncoding('gzip;q=0, *'), 'br');
    assert.equal(chooseEncoding('br;q=0, gzip;q=0, *;q=0.5'), 'deflate');
    assert.equal(chooseEncoding('deflate, gzip'), 'deflate');
    assert.equal(chooseEncoding('GZIP;q=0.8, br;q=0.7'), 'gzip');
    assert.equal(chooseEncoding('gzip;q=0.5, *'), 'br');
  });

  test('serves under the path option, and leaves the old path to the application', async () => {
    const io = new Server(0, { path: '/rt/' });
    try {
      await waitFor(io.httpServer!, 'listening');
      const { port } = io.httpServer!.address() as AddressInfo;
      const response = await get(port, '/rt/socket.io.min.js');
      assert.equal(response.status, 200);
      assert.deepEqual(response.raw, built('socket.io.min.js'));
      assert.equal((await get(port, '/socket.io/socket.io.min.js')).status, 404);
    } finally {
      await io.close();
    }
  });

  test("runs before the application's request listeners, which get every other request, the msgpack bundle's and source maps included", async () => {
    const http = createServer((req, res) => res.writeHead(418).end(req.url));
    const io = new Server(http);
    http.listen(0, '127.0.0.1');
    try {
      await waitFor(http, 'listening');
      const { port } = http.address() as AddressInfo;
      assert.equal((await get(port, '/socket.io/socket.io.js')).status, 200);
      const other = await get(port, '/socket.io/socket.io.msgpack.min.js');
      assert.equal(other.status, 418);
      assert.equal(other.body, '/socket.io/socket.io.msgpack.min.js');
      assert.equal((await get(port, '/socket.io/socket.io.js.map')).status, 418);
      assert.equal((await get(port, '/socket.io/?EIO=4&transport=polling')).status, 200);
    } finally {
      await io.close();
    }
  });

  test('applies the cors option first, as the official server', async () => {
    const harness = await startServer({ cors: { origin: 'https://app.example', credentials: true } });
    try {
      const response = await get(harness.port, '/socket.io/socket.io.min.js', { Origin: 'https://app.example' });
      assert.equal(response.status, 200);
      assert.equal(response.headers['access-control-allow-origin'], 'https://app.example');
      assert.equal(response.headers['access-control-allow-credentials'], 'true');
      const preflight = await get(
        harness.port,
        '/socket.io/socket.io.min.js',
        { Origin: 'https://app.example' },
        { method: 'OPTIONS' },
      );
      assert.equal(preflight.status, 204);
    } finally {
      await harness.close();
    }
  });

  test('serveClient false, as the option or the setter before attaching, serves nothing', async () => {
    const fromOption = new Server(0, { serveClient: false });
    const fromSetter = new Server().serveClient(false).listen(0);
    try {
      for (const io of [fromOption, fromSetter]) {
        if (!io.httpServer!.listening) await waitFor(io.httpServer!, 'listening');
        assert.equal(io.serveClient(), false);
        const { port } = io.httpServer!.address() as AddressInfo;
        assert.equal((await get(port, '/socket.io/socket.io.js')).status, 404);
      }
    } finally {
      await fromOption.close();
      await fromSetter.close();
    }
  });

  test('serveClient takes a boolean only', () => {
    assert.throws(
      () => new Server({ serveClient: 'yes' as unknown as boolean }),
      /serveClient must be a boolean, got yes/,
    );
  });
});

describe('where the bundle is not built', () => {
  test('nothing is served by default, and serveClient true throws naming the fix', () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'switchboard-no-bundle-'));
    try {
      const dir = elsewhere + '/';
      assert.equal(findClientBundle(dir), undefined);
      assert.equal(clientBundleFor(undefined, dir), undefined);
      assert.equal(clientBundleFor(false, dir), undefined);
      assert.throws(
        () => clientBundleFor(true, dir),
        /^Error: serveClient: the client bundle has not been built in this checkout; run `npm run build`, or set serveClient: false$/,
      );
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  test('from here the built bundle is found, every file of it', () => {
    const bundle = findClientBundle();
    assert.ok(bundle);
    assert.deepEqual(
      [...bundle.files.keys()],
      ['socket.io.js', 'socket.io.min.js', 'socket.io.esm.min.js', 'socket.io.websocket.esm.min.js'],
    );
  });
});
