import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { rawRequest } from '../helpers/raw-http.js';
import { Clients, startExample, stopGracefully } from './run-example.js';

// Each framework example serves its own route, Socket.IO and plain WebSockets on one port, and
// shuts down on SIGTERM with every client told.

for (const file of ['express.mjs', 'fastify.mjs', 'koa.mjs']) {
  describe(file, () => {
    test('one port: the framework answers its route, Socket.IO and WebSocket clients connect; SIGTERM closes them all', async () => {
      const example = await startExample(file);
      const clients = new Clients();
      try {
        const origin = `http://127.0.0.1:${example.port}`;
        const health = await rawRequest(origin, '/health');
        assert.equal(health.status, 200);
        assert.deepEqual(JSON.parse(health.body.toString()), { ok: true });
        assert.equal(
          (await rawRequest(origin, '/missing')).status,
          404,
          'the framework answers paths it does not know',
        );

        const socket = await clients.socketIo(origin);
        const ws = await clients.echoWebSocket(`ws://127.0.0.1:${example.port}/ws`);

        await stopGracefully(example, { webSockets: [ws], sockets: [socket] });
      } finally {
        clients.close();
        example.kill();
      }
    });
  });
}

describe('express-upgrade-routing.mjs', () => {
  test('noServer WebSocket servers routed by path beside Socket.IO; other upgrade paths are dropped', async () => {
    const example = await startExample('express-upgrade-routing.mjs');
    const clients = new Clients();
    try {
      const origin = `http://127.0.0.1:${example.port}`;
      assert.equal((await rawRequest(origin, '/health')).status, 200);
      await clients.socketIo(origin);
      const echo = await clients.echoWebSocket(`ws://127.0.0.1:${example.port}/echo`);
      const [clock, time] = await clients.greetedWebSocket(`ws://127.0.0.1:${example.port}/clock`);
      assert.ok(!Number.isNaN(Date.parse(time)), 'the clock sends a date');

      const refused = clients.webSocket(`ws://127.0.0.1:${example.port}/elsewhere`);
      await assert.rejects(refused, 'an upgrade for an unknown path does not open');

      await stopGracefully(example, { webSockets: [echo, clock] });
    } finally {
      clients.close();
      example.kill();
    }
  });
});
