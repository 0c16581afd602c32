import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Clients, startExample, stopGracefully } from './run-example.js';

// cors-and-origins.mjs: CORS headers for the allowed origin only, and every handshake (polling,
// WebSocket upgrade, plain WebSocket) refused from another origin.

const APP = 'https://app.example.com';
const OTHER = 'https://evil.example.net';

test('cors-and-origins.mjs: CORS for the allowed origin, every handshake from another refused', async () => {
  const example = await startExample('cors-and-origins.mjs', { ALLOWED_ORIGINS: APP });
  const clients = new Clients();
  try {
    const base = `http://127.0.0.1:${example.port}`;
    const preflight = await fetch(`${base}/socket.io/?EIO=4&transport=polling`, {
      method: 'OPTIONS',
      headers: { Origin: APP, 'Access-Control-Request-Method': 'POST' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), APP);
    assert.equal(preflight.headers.get('access-control-allow-credentials'), 'true');
    const foreignPreflight = await fetch(`${base}/socket.io/?EIO=4&transport=polling`, {
      method: 'OPTIONS',
      headers: { Origin: OTHER, 'Access-Control-Request-Method': 'POST' },
    });
    assert.equal(foreignPreflight.headers.get('access-control-allow-origin'), null);

    await clients.socketIo(base, { extraHeaders: { Origin: APP } });
    await clients.socketIo(base, { extraHeaders: { Origin: APP }, transports: ['websocket'] });
    const refusedPolling = await clients.refusedSocketIo(base, { extraHeaders: { Origin: OTHER } });
    assert.match(refusedPolling.message, /xhr poll error/);
    const refusedUpgrade = await clients.refusedSocketIo(base, {
      extraHeaders: { Origin: OTHER },
      transports: ['websocket'],
    });
    assert.match(refusedUpgrade.message, /websocket error/);

    await clients.echoWebSocket(`ws://127.0.0.1:${example.port}/ws`, { headers: { Origin: APP } });
    const refusedWs = await clients.refusedWebSocket(`ws://127.0.0.1:${example.port}/ws`, {
      headers: { Origin: OTHER },
    });
    assert.match(refusedWs.message, /403/);
    await stopGracefully(example);
  } finally {
    clients.close();
    example.kill();
  }
});
