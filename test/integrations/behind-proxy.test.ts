import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Clients, startExample, stopGracefully } from './run-example.js';

// behind-proxy.mjs takes each client's address from the last X-Forwarded-For entry (the one a
// proxy appends), and from the TCP peer when the header is absent. The clients here write the
// header themselves, as the proxy would.

test('behind-proxy.mjs: the client address is the last X-Forwarded-For entry, or the peer without one', async () => {
  const example = await startExample('behind-proxy.mjs');
  const clients = new Clients();
  try {
    const origin = `http://127.0.0.1:${example.port}`;
    const wsUrl = `ws://127.0.0.1:${example.port}/ws`;
    const forwarded = { 'X-Forwarded-For': '198.51.100.1, 203.0.113.7' };

    const proxied = await clients.socketIo(origin, { extraHeaders: forwarded });
    assert.equal(await proxied.timeout(5000).emitWithAck('whoami'), '203.0.113.7');
    const direct = await clients.socketIo(origin);
    assert.equal(await direct.timeout(5000).emitWithAck('whoami'), '127.0.0.1');

    const [proxiedWs, proxiedAddress] = await clients.greetedWebSocket(wsUrl, { headers: forwarded });
    assert.equal(proxiedAddress, '203.0.113.7');
    const [directWs, directAddress] = await clients.greetedWebSocket(wsUrl);
    assert.equal(directAddress, '127.0.0.1');

    await stopGracefully(example, { webSockets: [proxiedWs, directWs] });
  } finally {
    clients.close();
    example.kill();
  }
});
