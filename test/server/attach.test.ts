/**
 * The server's life around its HTTP server, as the official server has it: `io.engine` there
 * before `attach()`, the constructor's engine options winning over `attach()`'s, a port given as
 * a string, and `close()` letting the application's HTTP requests in progress finish.
 */
import assert from 'node:assert/strict';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { io as connect } from 'socket.io-client';
import { Server } from '../../src/server/index.js';
import { TRANSPORT_MODES } from './helpers.js';
import { until, waitFor } from '../helpers/wait.js';

async function listening(http: HttpServer): Promise<string> {
  http.listen(0, '127.0.0.1');
  await waitFor(http, 'listening');
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
}

/** A client connects over polling (then leaves). */
async function connectsOverPolling(url: string): Promise<void> {
  const client = connect(url, { forceNew: true, reconnection: false, ...TRANSPORT_MODES.polling });
  try {
    await waitFor(client, 'connect');
  } finally {
    client.disconnect();
  }
}

describe('io.engine before attach()', () => {
  test('exists from the constructor on; its middlewares and listeners serve once attached', async () => {
    const io = new Server();
    const seen: string[] = [];
    io.engine.use((req, _res, next) => {
      seen.push(`middleware ${new URL(req.url!, 'http://x').searchParams.get('transport')}`);
      next();
    });
    io.engine.on('connection', (conn) => seen.push(`connection ${conn.transport.name}`));
    const http = createServer();
    io.attach(http);
    const url = await listening(http);
    const client = connect(url, { forceNew: true, reconnection: false, ...TRANSPORT_MODES.websocket });
    try {
      await waitFor(client, 'connect');
      assert.deepEqual(seen, ['middleware websocket', 'connection websocket']);
      assert.equal(io.engine.clientsCount, 1);
    } finally {
      client.disconnect();
      await io.close();
    }
  });

  test('after close(), attaching to another HTTP server makes a new engine, as the official server does', async () => {
    const io = new Server();
    const first = io.engine;
    const http = createServer();
    io.attach(http);
    await listening(http);
    await io.close();
    assert.equal(io.engine, first);
    const other = createServer();
    io.attach(other);
    try {
      assert.notEqual(io.engine, first);
      await connectsOverPolling(await listening(other));
    } finally {
      await io.close();
    }
  });

  test('after close(), attaching to the same server keeps its engine; options given then are refused by name', async () => {
    const io = new Server();
    const http = createServer();
    io.attach(http);
    await listening(http);
    await io.close();
    const engine = io.engine;
    assert.throws(
      () => io.attach(http, { pingInterval: 5000 }),
      (err: Error) => err instanceof TypeError && /^pingInterval: attached again/.test(err.message),
    );
    io.attach(http);
    try {
      assert.equal(io.engine, engine);
      await connectsOverPolling(await listening(http));
    } finally {
      await io.close();
    }
  });
});

describe('engine options of the constructor and of attach()', () => {
  test("the constructor's win; attach() adds those the constructor does not set", async () => {
    const io = new Server({ pingInterval: 1500, cors: { origin: 'https://app.example' } });
    const http = createServer();
    io.attach(http, { pingInterval: 9000, pingTimeout: 4000, maxHttpBufferSize: 2048 });
    try {
      assert.equal(io.engine.options.pingInterval, 1500);
      assert.equal(io.engine.options.pingTimeout, 4000);
      assert.equal(io.engine.options.maxHttpBufferSize, 2048);
      const url = await listening(http);
      const response = await fetch(`${url}/socket.io/?EIO=4&transport=polling`, {
        headers: { origin: 'https://app.example' },
        signal: AbortSignal.timeout(3000),
      });
      assert.equal(response.headers.get('access-control-allow-origin'), 'https://app.example');
      const open = JSON.parse((await response.text()).slice(1)) as {
        pingInterval: number;
        pingTimeout: number;
        maxPayload: number;
      };
      assert.deepEqual([open.pingInterval, open.pingTimeout, open.maxPayload], [1500, 4000, 2048]);
    } finally {
      await io.close();
    }
  });

  test('cors given to attach() runs before the middlewares the application added earlier', async () => {
    const io = new Server();
    const order: string[] = [];
    io.engine.use((_req, res, next) => {
      order.push(`app after cors: ${String(res.getHeader('access-control-allow-origin'))}`);
      next();
    });
    const http = createServer();
    io.attach(http, { cors: { origin: 'https://app.example' } });
    try {
      const url = await listening(http);
      const response = await fetch(`${url}/socket.io/?EIO=4&transport=polling`, {
        headers: { origin: 'https://app.example' },
        signal: AbortSignal.timeout(3000),
      });
      await response.text();
      assert.equal(response.headers.get('access-control-allow-origin'), 'https://app.example');
      assert.deepEqual(order, ['app after cors: https://app.example']);
    } finally {
      await io.close();
    }
  });
});

describe('what attach() takes', () => {
  test('a port as a string of digits, as the official server takes process.env.PORT', async () => {
    const io = new Server('0');
    try {
      await waitFor(io.httpServer!, 'listening');
      const { port } = io.httpServer!.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/socket.io/?EIO=4&transport=polling`, {
        signal: AbortSignal.timeout(3000),
      });
      assert.equal(response.status, 200);
      await response.text();
    } finally {
      await io.close();
    }
  });

  test('anything else is refused, an Express app with the official message', () => {
    assert.throws(() => new Server('port'), {
      name: 'TypeError',
      message: /expected an http\(s\)\.Server or a port .*got "port"/,
    });
    assert.throws(() => new Server().attach(true as unknown as number), { name: 'TypeError', message: /got boolean/ });
    const app = Object.assign(() => {}, { listen() {} });
    assert.throws(() => new Server().attach(app as unknown as HttpServer), {
      message:
        'You are trying to attach socket.io to an express request handler function. Please pass a http.Server instance.',
    });
    assert.throws(() => new Server(app as unknown as HttpServer), /express request handler function/);
  });
});

describe('close()', () => {
  test("lets the application's HTTP requests in progress finish, then resolves", async () => {
    let arrived = false;
    const http = createServer((_req, res) => {
      arrived = true;
      setTimeout(() => res.end('slow answer'), 300);
    });
    const io = new Server(http);
    const url = await listening(http);
    const client = connect(url, { forceNew: true, reconnection: false, ...TRANSPORT_MODES.polling });
    try {
      await waitFor(client, 'connect');
      const slow = fetch(`${url}/report`, { signal: AbortSignal.timeout(5000) });
      await until(() => arrived, 3000, 'the slow request to arrive');
      const gone = waitFor(client, 'disconnect');
      let closed = false;
      const closing = io.close().then(() => {
        closed = true;
      });
      assert.equal((await gone)[0], 'transport close', 'the realtime sessions close at once');
      const response = await slow;
      assert.equal(response.status, 200);
      assert.equal(await response.text(), 'slow answer');
      await closing;
      assert.equal(closed, true);
    } finally {
      client.disconnect();
      if (http.listening) await io.close();
    }
  });
});
