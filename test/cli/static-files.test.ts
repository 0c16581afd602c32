import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { contentTypeOf, createStaticHandler, parseRequestPath } from '../../src/cli/static-files.js';
import { rawRequest } from '../helpers/raw-http.js';
import { anyText } from '../helpers/any-text.js';

describe('parseRequestPath', () => {
  test('splits and decodes an origin-form target, dropping query and fragment', () => {
    assert.deepEqual(parseRequestPath('/chat/app%20v2.js?x=1#top'), {
      ok: true,
      segments: ['chat', 'app v2.js'],
      directory: false,
      hidden: false,
    });
    assert.deepEqual(parseRequestPath('/'), { ok: true, segments: [], directory: true, hidden: false });
    assert.deepEqual(parseRequestPath('//a//b/'), { ok: true, segments: ['a', 'b'], directory: true, hidden: false });
  });

  test('refuses every way of climbing out of the root with 400', () => {
    for (const target of [
      '/../package.json',
      '/a/../../package.json',
      '/%2e%2e/package.json',
      '/%2E%2E/package.json',
      '/.%2e/package.json',
      '/%2e%2e%2fpackage.json',
      '/..%2Fpackage.json',
      '/..%5cpackage.json',
      '/%5c..%5cpackage.json',
      '/./index.html',
      '/a%00.html',
      '/%0a',
      '/%zz',
      '/%',
      '/%c0%ae%c0%ae/package.json',
      'package.json',
      'http://example.com/',
      '*',
    ]) {
      assert.deepEqual(parseRequestPath(target), { ok: false, status: 400 }, target);
    }
  });

  test('never throws, and whatever it accepts stays inside the root', () => {
    // Targets built from the pieces traversal attempts are made of, plus arbitrary text.
    const piece = fc.constantFrom(
      '/',
      '.',
      '..',
      '%2e',
      '%2E',
      '%2f',
      '%2F',
      '%5c',
      '\\',
      '%00',
      '%',
      '%c0%ae',
      'a',
      'b.txt',
      '?',
      '#',
      '//',
      '%25',
    );
    const target = fc.oneof(
      fc.array(piece, { maxLength: 12 }).map((pieces) => '/' + pieces.join('')),
      anyText(40),
    );
    fc.assert(
      fc.property(target, (raw) => {
        const parsed = parseRequestPath(raw);
        if (!parsed.ok) return;
        const resolved = join('/root', ...parsed.segments);
        assert.ok(resolved === '/root' || resolved.startsWith('/root/'), `${raw} -> ${resolved}`);
        for (const segment of parsed.segments)
          assert.ok(segment !== '' && segment !== '.' && segment !== '..' && !/[/\\\0]/.test(segment), raw);
      }),
      { numRuns: 2000 },
    );
  });

  test('marks dot files hidden', () => {
    assert.equal((parseRequestPath('/.git/config') as { hidden: boolean }).hidden, true);
    assert.equal((parseRequestPath('/a/%2Eenv') as { hidden: boolean }).hidden, true);
  });
});

test('contentTypeOf knows the web types and falls back to octet-stream', () => {
  assert.equal(contentTypeOf('index.HTML'), 'text/html; charset=utf-8');
  assert.equal(contentTypeOf('chat.js'), 'text/javascript; charset=utf-8');
  assert.equal(contentTypeOf('a.css'), 'text/css; charset=utf-8');
  assert.equal(contentTypeOf('a.svg'), 'image/svg+xml');
  assert.equal(contentTypeOf('a.wasm'), 'application/wasm');
  assert.equal(contentTypeOf('Makefile'), 'application/octet-stream');
});

describe('createStaticHandler', () => {
  let workspace: string;
  let server: Server;
  let base: string;

  before(async () => {
    workspace = mkdtempSync(join(tmpdir(), 'switchboard-static-'));
    const first = join(workspace, 'first');
    const second = join(workspace, 'second');
    mkdirSync(join(first, 'docs'), { recursive: true });
    mkdirSync(join(second, 'empty'), { recursive: true });
    mkdirSync(join(first, 'evil.example'), { recursive: true });
    writeFileSync(join(workspace, 'secret.txt'), 'outside the roots');
    writeFileSync(join(first, 'index.html'), '<h1>first</h1>');
    writeFileSync(join(first, 'docs', 'index.html'), '<h1>docs</h1>');
    writeFileSync(join(first, 'shadow.txt'), 'from first');
    writeFileSync(join(first, '.env'), 'TOKEN=1');
    writeFileSync(join(second, 'shadow.txt'), 'from second');
    writeFileSync(join(second, 'only-second.css'), 'body{}');
    writeFileSync(join(first, 'bytes.bin'), Buffer.from([0, 1, 2, 255]));
    utimesSync(join(first, 'index.html'), new Date('2025-01-01T00:00:00Z'), new Date('2025-01-01T00:00:00Z'));
    symlinkSync(join(workspace, 'secret.txt'), join(first, 'escape.txt'));
    symlinkSync(workspace, join(first, 'escape-dir'));
    symlinkSync(join(first, 'shadow.txt'), join(first, 'inside-link.txt'));
    const serve = createStaticHandler({
      roots: [
        { directory: first, headers: { 'X-Root': 'first' } },
        { directory: second },
        { directory: join(workspace, 'missing') },
      ],
    });
    server = createServer((request, response) => void serve(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(workspace, { recursive: true, force: true });
  });

  test('serves a directory index with type, length, validators, caching and root headers', async () => {
    const response = await rawRequest(base, '/');
    assert.equal(response.status, 200);
    assert.equal(response.body.toString(), '<h1>first</h1>');
    assert.equal(response.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(response.headers['content-length'], '14');
    assert.equal(response.headers['cache-control'], 'no-cache');
    assert.equal(response.headers['last-modified'], 'Wed, 01 Jan 2025 00:00:00 GMT');
    assert.match(response.headers['etag'] ?? '', /^W\/"[0-9a-f]+-[0-9a-f]+"$/);
    assert.equal(response.headers['x-content-type-options'], 'nosniff');
    assert.equal(response.headers['x-root'], 'first');
  });

  test('serves bytes unchanged', async () => {
    const response = await rawRequest(base, '/bytes.bin');
    assert.deepEqual([...response.body], [0, 1, 2, 255]);
    assert.equal(response.headers['content-type'], 'application/octet-stream');
  });

  test('looks in the roots in order and skips a missing root', async () => {
    assert.equal((await rawRequest(base, '/shadow.txt')).body.toString(), 'from first');
    const second = await rawRequest(base, '/only-second.css');
    assert.equal(second.status, 200);
    assert.equal(second.headers['content-type'], 'text/css; charset=utf-8');
    assert.equal(second.headers['x-root'], undefined);
    assert.equal((await rawRequest(base, '/nothing-here')).status, 404);
  });

  test('redirects a directory without its slash, keeping the query, and never off-site', async () => {
    const docs = await rawRequest(base, '/docs?page=2');
    assert.equal(docs.status, 301);
    assert.equal(docs.headers['location'], '/docs/?page=2');
    assert.equal((await rawRequest(base, '/docs/')).body.toString(), '<h1>docs</h1>');
    // "//evil.example" as a Location would be a protocol-relative redirect to another host.
    const offsite = await rawRequest(base, '//evil.example');
    assert.equal(offsite.status, 301);
    assert.equal(offsite.headers['location'], '/evil.example/');
  });

  test('a directory without an index file is 404, not a listing', async () => {
    assert.equal((await rawRequest(base, '/empty/')).status, 404);
  });

  test('refuses traversal with 400 and never leaks a file outside the roots', async () => {
    for (const target of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/docs/..%2f..%2fsecret.txt',
      '/..%5csecret.txt',
      '/%2e%2e%2f%2e%2e%2fsecret.txt',
    ]) {
      const response = await rawRequest(base, target);
      assert.equal(response.status, 400, target);
      assert.doesNotMatch(response.body.toString(), /outside the roots/);
    }
  });

  test('does not follow a symbolic link out of the root, but does inside it', async () => {
    assert.equal((await rawRequest(base, '/escape.txt')).status, 404);
    assert.equal((await rawRequest(base, '/escape-dir/secret.txt')).status, 404);
    assert.equal((await rawRequest(base, '/inside-link.txt')).body.toString(), 'from first');
  });

  test('hides dot files', async () => {
    assert.equal((await rawRequest(base, '/.env')).status, 404);
    assert.equal((await rawRequest(base, '/%2eenv')).status, 404);
  });

  test('answers HEAD with headers only and other methods with 405', async () => {
    const head = await rawRequest(base, '/shadow.txt', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], '10');
    assert.equal(head.body.length, 0);
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
      const response = await rawRequest(base, '/shadow.txt', { method });
      assert.equal(response.status, 405, method);
      assert.equal(response.headers['allow'], 'GET, HEAD');
    }
  });

  test('answers conditional requests with 304', async () => {
    const first = await rawRequest(base, '/');
    const etag = first.headers['etag']!;
    const byTag = await rawRequest(base, '/', { headers: { 'If-None-Match': etag } });
    assert.equal(byTag.status, 304);
    assert.equal(byTag.body.length, 0);
    // RFC 9110 §13.1.2: If-None-Match compares weakly, and a list may hold the tag anywhere.
    assert.equal((await rawRequest(base, '/', { headers: { 'If-None-Match': `"x", ${etag.slice(2)}` } })).status, 304);
    assert.equal((await rawRequest(base, '/', { headers: { 'If-None-Match': '"other"' } })).status, 200);
    assert.equal(
      (await rawRequest(base, '/', { headers: { 'If-Modified-Since': 'Wed, 01 Jan 2025 00:00:00 GMT' } })).status,
      304,
    );
    assert.equal(
      (await rawRequest(base, '/', { headers: { 'If-Modified-Since': 'Tue, 31 Dec 2024 23:59:59 GMT' } })).status,
      200,
    );
    // If-None-Match wins over If-Modified-Since (§13.2.2).
    const both = await rawRequest(base, '/', {
      headers: { 'If-None-Match': '"other"', 'If-Modified-Since': 'Wed, 01 Jan 2025 00:00:00 GMT' },
    });
    assert.equal(both.status, 200);
  });
});
