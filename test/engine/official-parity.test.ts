/**
 * Wire parity with the reference Engine.IO server (the `engine.io` package, used here only as an
 * observed peer): the same scripted raw sessions run against both, and the transcripts (statuses,
 * bodies, frames, with session ids masked) must match. Where Switchboard deliberately answers
 * differently, the script compares only what the protocol fixes, and says why.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Server as ReferenceServer } from 'engine.io';
import { EngineServer } from '../../src/engine/index.js';
import { RawWebSocket, rawRequest } from './helpers.js';
import { sleep, waitFor } from '../helpers/wait.js';

interface Target {
  readonly name: string;
  readonly port: number;
  readonly http: Server;
  readonly close: () => void;
}

// Pings slow enough not to race the steps under a loaded machine (the scripts wait for one where they mean to).
const OPTIONS = { pingInterval: 1000, pingTimeout: 3000, maxHttpBufferSize: 10_000 };

async function listen(
  name: string,
  attach: (http: Server) => { onConnection(listener: (socket: Echo) => void): void; close(): void },
): Promise<Target> {
  const http = createServer((_req, res) => res.writeHead(404).end());
  const engine = attach(http);
  engine.onConnection((socket) => socket.on('message', (data) => socket.send(data)));
  http.listen(0, '127.0.0.1');
  await waitFor(http, 'listening');
  return {
    name,
    http,
    port: (http.address() as AddressInfo).port,
    close: () => {
      engine.close();
      http.closeAllConnections();
      http.close();
    },
  };
}

interface Echo {
  on(event: 'message', listener: (data: string | Buffer) => void): unknown;
  send(data: string | Buffer): unknown;
}

/** One step's record in a transcript. */
type Entry = readonly unknown[];

const PATH = '/engine.io/';

/** Runs `script` against both servers and returns the two transcripts with session ids masked. */
async function both(
  targets: Target[],
  script: (target: Target, log: (...entry: Entry) => void) => Promise<void>,
): Promise<Entry[][]> {
  const transcripts: Entry[][] = [];
  for (const target of targets) {
    const transcript: Entry[] = [];
    const sids = new Set<string>();
    await script(target, (...entry) => transcript.push(entry));
    for (const entry of transcript)
      for (const value of entry)
        if (typeof value === 'string') for (const match of value.matchAll(/"sid":"([^"]+)"/g)) sids.add(match[1]!);
    const mask = (value: unknown): unknown => {
      if (typeof value !== 'string') return value;
      let masked = value;
      for (const sid of sids) masked = masked.split(sid).join('<sid>');
      return masked;
    };
    transcripts.push(transcript.map((entry) => entry.map(mask)));
  }
  return transcripts;
}

async function handshake(target: Target): Promise<string> {
  const response = await rawRequest(target.port, `${PATH}?EIO=4&transport=polling`);
  return JSON.parse(response.body.slice(1)).sid as string;
}

describe('wire parity with the reference Engine.IO server', () => {
  const targets: Target[] = [];

  before(async () => {
    targets.push(
      await listen('reference', (http) => {
        const engine = new ReferenceServer(OPTIONS);
        engine.attach(http);
        return { onConnection: (listener) => engine.on('connection', listener), close: () => engine.close() };
      }),
      await listen('switchboard', (http) => {
        const engine = new EngineServer(OPTIONS);
        engine.attach(http);
        return { onConnection: (listener) => engine.on('connection', listener), close: () => engine.close() };
      }),
    );
  });
  after(() => {
    for (const target of targets) target.close();
  });

  it('error answers: status, code and message', async () => {
    const [reference, ours] = await both(targets, async (target, log) => {
      const sid = await handshake(target);
      log('session', JSON.stringify({ sid }));
      const cases: [string, string?][] = [
        ['EIO=4'],
        ['EIO=4&transport=unknown'],
        ['EIO=4&transport=polling&sid=unknown'],
        ['EIO=4&transport=polling', 'POST'],
        ['EIO=4&transport=polling', 'PUT'],
        ['transport=polling'],
        ['EIO=3&transport=polling'],
        ['EIO=4&transport=websocket'],
        [`EIO=4&transport=websocket&sid=${sid}`],
        [`EIO=3&transport=polling&sid=${sid}`],
      ];
      for (const [query, method] of cases) {
        const response = await rawRequest(target.port, `${PATH}?${query}`, method ? { method, body: '' } : {});
        log(query, method ?? 'GET', response.status, response.headers['content-type'], JSON.parse(response.body));
      }
      // End the session cleanly: the reference server would otherwise keep a 30 s close timer after its ping timeout.
      await rawRequest(target.port, `${PATH}?EIO=4&transport=polling&sid=${sid}`, { method: 'POST', body: '1' });
    });
    assert.deepEqual(ours, reference);
  });

  it('polling handshake, POST, GET and heartbeat', async () => {
    const [reference, ours] = await both(targets, async (target, log) => {
      const open = await rawRequest(target.port, `${PATH}?EIO=4&transport=polling`);
      log('handshake', open.status, open.headers['content-type'], open.body);
      const sid = JSON.parse(open.body.slice(1)).sid as string;
      const url = `${PATH}?EIO=4&transport=polling&sid=${sid}`;
      const posted = await rawRequest(target.port, url, { method: 'POST', body: '4hello\x1ebAQIDBA==\x1e4€€€' });
      log('post', posted.status, posted.body);
      await sleep(20);
      const polled = await rawRequest(target.port, url);
      log('poll', polled.status, polled.headers['content-type'], polled.body);
      const ping = await rawRequest(target.port, url);
      log('ping', ping.status, ping.body);
      const pong = await rawRequest(target.port, url, { method: 'POST', body: '3' });
      log('pong', pong.status, pong.body);
      const close = await rawRequest(target.port, url, { method: 'POST', body: '1' });
      log('close', close.status, close.body);
      const after = await rawRequest(target.port, url);
      log('after close', after.status, JSON.parse(after.body));
    });
    assert.deepEqual(ours, reference);
  });

  it('overlapping polls end the session (the second GET: 400; the reference sends no body, we send the JSON error)', async () => {
    const [reference, ours] = await both(targets, async (target, log) => {
      const sid = await handshake(target);
      const url = `${PATH}?EIO=4&transport=polling&sid=${sid}`;
      const first = rawRequest(target.port, url);
      await sleep(100); // the reference server gives no way to see the poll is held
      const second = await rawRequest(target.port, url);
      log('second', second.status);
      log('first', (await first).body);
      log('after', (await rawRequest(target.port, url)).status);
    });
    assert.deepEqual(ours, reference);
  });

  it('WebSocket-only session and upgrade from polling, frame by frame', async () => {
    const [reference, ours] = await both(targets, async (target, log) => {
      const ws = await RawWebSocket.connect(`ws://127.0.0.1:${target.port}${PATH}?EIO=4&transport=websocket`);
      log('ws open', await ws.nextText());
      ws.send('4hello');
      log('ws echo', await ws.nextText());
      ws.send(Buffer.from([1, 2, 3]));
      const binary = await ws.next();
      log('ws binary', binary.isBinary, [...binary.data]);
      log('ws ping', await ws.nextText());
      ws.close();

      const sid = await handshake(target);
      const url = `${PATH}?EIO=4&transport=polling&sid=${sid}`;
      const held = rawRequest(target.port, url);
      await sleep(100);
      const upgrade = await RawWebSocket.connect(
        `ws://127.0.0.1:${target.port}${PATH}?EIO=4&transport=websocket&sid=${sid}`,
      );
      upgrade.send('2probe');
      log('probe', await upgrade.nextText());
      log('held poll', (await held).body);
      upgrade.send('5');
      upgrade.send('4after upgrade');
      log('upgraded echo', await upgrade.nextText());
      log('poll after upgrade', (await rawRequest(target.port, url)).status);
      upgrade.close();
    });
    assert.deepEqual(ours, reference);
  });
});
