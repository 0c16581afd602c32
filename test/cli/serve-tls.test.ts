import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { io as connectSocketIo, type Socket as ClientSocket } from 'socket.io-client';
import { createHttpServer } from '../../src/engine/index.js';
import { selfSigned, skipWithoutOpenssl as skip, type Certificate } from '../helpers/certificates.js';
import { spawnCli, type ChildHandle } from '../helpers/processes.js';
import { until, waitFor, withTimeout } from '../helpers/wait.js';
import { runInProcess } from './run-in-process.js';

/** GETs `url` over HTTPS trusting `ca` alone, and resolves with the status, content type and body. */
function fetchTrusting(url: string, ca: Buffer): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    httpsGet(url, { ca }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, type: response.headers['content-type'] ?? '', body }),
      );
      response.on('error', reject);
    }).on('error', reject);
  });
}

describe('switchboard serve --cert --key (a real process)', { skip }, () => {
  let dir: string;
  let server: Certificate;
  let other: Certificate;
  let serve: ChildHandle;
  let url: string;
  const children: ChildHandle[] = [];

  function sim(args: readonly string[]): ChildHandle {
    const child = spawnCli(['sensor-sim', ...args]);
    children.push(child);
    return child;
  }
  function devicesUrl(): string {
    const devices = new URL('devices', url);
    devices.protocol = 'wss:';
    devices.username = 'sensor';
    devices.password = 'hub-demo';
    return devices.href;
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'serve-tls-'));
    server = selfSigned(dir, 'localhost', 'DNS:localhost,IP:127.0.0.1');
    other = selfSigned(dir, 'other', 'DNS:other.example');
    serve = spawnCli(['serve', '--port', '0', '--cert', server.certPath, '--key', server.keyPath]);
    [, url] = (await serve.waitForOutput(/listening on (https:\/\/\S+)/)) as [string, string];
  });

  after(() => {
    for (const child of children) child.kill();
    serve?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  test('prints https:// and wss:// URLs', () => {
    assert.match(url, /^https:\/\/127\.0\.0\.1:\d+\/$/);
    assert.ok(serve.stdout().includes(`(devices ${url.replace(/^https:/, 'wss:')}devices)`), serve.stdout());
    assert.ok(serve.stdout().includes(`(WebSocket ${url.replace(/^https:/, 'wss:')}chat)`), serve.stdout());
  });

  test('serves the sensor dashboard over HTTPS to a client that trusts the certificate', async () => {
    const page = await withTimeout(fetchTrusting(`${url}sensors/`, server.cert), 'the dashboard page');
    assert.equal(page.status, 200);
    assert.equal(page.type, 'text/html; charset=utf-8');
    assert.match(page.body, /<script/);
    // The same request without the certificate trusted fails verification: the port speaks TLS only.
    await assert.rejects(withTimeout(fetchTrusting(`${url}sensors/`, other.cert), 'the untrusted request'), {
      code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    });
  });

  test('sensor-sim --ca reaches the hub over wss:// and its readings show on a dashboard socket', async () => {
    const dashboard: ClientSocket = connectSocketIo(`${url}sensors`, {
      transports: ['websocket'],
      reconnection: false,
      ca: server.cert.toString(),
    });
    const topics: string[] = [];
    dashboard.on('message', (topic: string) => topics.push(topic));
    try {
      await waitFor(dashboard, 'connect');
      await withTimeout(dashboard.emitWithAck('subscribe', 'sensors/#'), 'subscribe');
      const child = sim([
        devicesUrl(),
        '--ca',
        server.certPath,
        '--devices',
        '1',
        '--name',
        'tls',
        '--interval',
        '250ms',
      ]);
      await child.waitForOutput(/Connected to wss:\/\/sensor:\*\*\*@127\.0\.0\.1:\d+\/devices as tls-1/);
      await until(
        () => topics.includes('sensors/tls-1/temperature'),
        5000,
        () => `a reading, got ${topics.join()}`,
      );
      assert.deepEqual(await child.stop('SIGINT'), { code: 0, signal: null });
      assert.equal(child.stderr(), '');
    } finally {
      dashboard.disconnect();
    }
  });

  test('sensor-sim without --ca refuses the self-signed hub; --insecure connects and says so on stderr', async () => {
    const refused = sim([devicesUrl(), '--devices', '1']);
    assert.equal((await withTimeout(refused.exited, 'the refused sim to exit', 15_000)).code, 1);
    assert.match(refused.stderr(), /certificate does not verify .*trust it with --ca <file>/);

    const insecure = sim([devicesUrl(), '--insecure', '--devices', '1', '--duration', '500ms']);
    assert.deepEqual(await withTimeout(insecure.exited, 'the insecure sim to stop', 15_000), {
      code: 0,
      signal: null,
    });
    assert.match(insecure.stderr(), /WARNING: --insecure: the server's certificate is not verified/);
  });

  test('connect and load trust the server with --ca; without it they name the failure; --insecure warns', async () => {
    const chat = `${url.replace(/^https:/, 'wss:')}chat`;
    const trusted = await runInProcess(['connect', chat, '--ca', server.certPath, '-x', 'wait 50ms']);
    assert.equal(trusted.code, 0, trusted.err);
    assert.match(trusted.out, /\* connected to wss:\/\/127\.0\.0\.1:\d+\/chat\n/);

    const sio = await runInProcess(['connect', url, '--sio', '--ca', server.certPath, '-x', 'wait 50ms']);
    assert.equal(sio.code, 0, sio.err);
    assert.match(sio.out, /\* connected to https:\/\/127\.0\.0\.1:\d+\//);

    const untrusted = await runInProcess(['connect', chat, '--ca', other.certPath, '-x', 'wait 50ms']);
    assert.equal(untrusted.code, 1);
    assert.match(untrusted.err, /cannot connect to wss:.*self-signed certificate/);

    const insecure = await runInProcess(['connect', chat, '--insecure', '-x', 'wait 50ms']);
    assert.equal(insecure.code, 0, insecure.err);
    assert.match(insecure.err, /^switchboard connect: WARNING: --insecure: the server's certificate is not verified/);

    const load = await runInProcess(['load', chat, '--ca', server.certPath, '-c', '2', '--rate', '5', '-d', '300ms']);
    assert.doesNotMatch(load.err, /cannot connect/, load.err);
    // The chat closes connections that do not speak its protocol; both opened over TLS first.
    assert.match(load.out, /Connections +2 opened, 0 failed/, load.out);
    const loadInsecure = await runInProcess(['load', chat, '--insecure', '-c', '1', '--rate', '5', '-d', '200ms']);
    assert.match(loadInsecure.err, /^switchboard load: WARNING: --insecure/);
  });

  test('connect and load refuse TLS options that cannot apply', async () => {
    for (const command of ['connect', 'load']) {
      for (const [args, message] of [
        [['wss://127.0.0.1:1/x', '--ca', server.certPath, '--insecure'], /--ca and --insecure contradict/],
        [['ws://127.0.0.1:1/x', '--ca', server.certPath], /--ca is for a wss:\/\/ URL/],
        [['127.0.0.1:1/x', '--insecure'], /--insecure is for a wss:\/\/ URL/],
        [['wss://127.0.0.1:1/x', '--ca', server.keyPath], /--ca needs a PEM certificate/],
      ] as const) {
        const result = await runInProcess([command, ...args]);
        assert.equal(result.code, 2, `${command} ${args.join(' ')}`);
        assert.match(result.err, message, `${command} ${args.join(' ')}`);
      }
    }
  });

  test('a wrong, missing or unpaired --cert/--key exits 2 naming the flag', async () => {
    const notPem = join(dir, 'not-pem.txt');
    writeFileSync(notPem, 'hello\n');
    for (const [args, message] of [
      [['--cert', server.certPath, '--key', other.keyPath], /--key ".*other-key\.pem" is not the private key of/],
      [['--cert', server.certPath, '--key', notPem], /--key needs an unencrypted PEM private key/],
      [['--cert', server.keyPath, '--key', server.keyPath], /--cert needs a PEM certificate/],
      [['--cert', join(dir, 'absent.pem'), '--key', server.keyPath], /--cert cannot read ".*absent\.pem" \(ENOENT\)/],
      [['--cert', server.certPath], /--cert needs --key/],
      [['--key', server.keyPath], /--key needs --cert/],
    ] as const) {
      const result = await runInProcess(['serve', '--port', '0', ...args]);
      assert.equal(result.code, 2, args.join(' '));
      assert.match(result.err, message, args.join(' '));
      assert.equal(result.out, '', 'nothing listened');
    }
    const child = spawnCli(['serve', '--port', '0', '--cert', server.certPath, '--key', other.keyPath]);
    children.push(child);
    assert.equal((await withTimeout(child.exited, 'serve to refuse', 15_000)).code, 2);
    assert.match(child.stderr(), /--key/);
  });

  test('createHttpServer refuses TLS material it could not serve with, naming it', () => {
    assert.throws(() => createHttpServer({ tls: { key: '', cert: server.cert } }), {
      name: 'TypeError',
      message: /tls\.key must be a non-empty PEM/,
    });
    assert.throws(() => createHttpServer({ tls: { key: other.key, cert: server.cert } }), {
      name: 'TypeError',
      message: /^tls: .*key values mismatch/,
    });
  });

  test('sensor-sim refuses TLS options that cannot apply', async () => {
    for (const [args, message] of [
      [['wss://127.0.0.1:1/devices', '--ca', server.certPath, '--insecure'], /--ca and --insecure contradict/],
      [['ws://127.0.0.1:1/devices', '--ca', server.certPath], /--ca is for a wss:\/\/ URL/],
      [['ws://127.0.0.1:1/devices', '--insecure'], /--insecure is for a wss:\/\/ URL/],
      [['wss://127.0.0.1:1/devices', '--ca', server.keyPath], /--ca needs a PEM certificate/],
    ] as const) {
      const result = await runInProcess(['sensor-sim', ...args]);
      assert.equal(result.code, 2, args.join(' '));
      assert.match(result.err, message, args.join(' '));
    }
  });
});
