/**
 * The URLs a session requests (Engine.IO protocol v4, "Transports"): the scheme follows the
 * origin's security, the timestamp parameter is optional, and the parameters the protocol
 * reserves cannot be set through `query`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { endpointOf, requestUrl, timestamped } from '../../../src/client/engine/endpoint.js';
import { EngineSocket } from '../../../src/client/engine/engine-socket.js';
import { nodePlatform } from '../../../src/client-node/platform.js';
import type { EngineSocketOptions, TransportName } from '../../../src/client/engine/types.js';
import { TRANSPORTS, sessionOptions } from './helpers.js';

/** The URLs of a session with `options`, by transport, for its session id. */
function urls(options: EngineSocketOptions): Record<TransportName, (sid?: string) => string> {
  const endpoint = endpointOf(options);
  return {
    websocket: (sid) => requestUrl(endpoint, 'websocket', sid),
    polling: (sid) => timestamped(requestUrl(endpoint, 'polling', sid), options),
  };
}

describe('session URLs', () => {
  it('a secure origin is reached over wss: and https:', () => {
    const endpoint = urls(sessionOptions('https://example.test:8443', { timestampRequests: false }));
    assert.equal(endpoint.websocket(), 'wss://example.test:8443/engine.io/?EIO=4&transport=websocket');
    assert.equal(endpoint.polling('a b'), 'https://example.test:8443/engine.io/?EIO=4&transport=polling&sid=a%20b');
  });

  it('a plain origin over ws: and http:, with a fresh timestamp per polling request when asked', () => {
    const endpoint = urls(sessionOptions('http://example.test', { query: { room: 'a&b' } }));
    assert.equal(endpoint.websocket('s1'), 'ws://example.test/engine.io/?room=a%26b&EIO=4&transport=websocket&sid=s1');
    const first = endpoint.polling();
    assert.match(first, /^http:\/\/example\.test\/engine\.io\/\?room=a%26b&EIO=4&transport=polling&t=[\w.]+$/);
    assert.notEqual(endpoint.polling(), first);
  });

  for (const name of ['EIO', 'transport', 'sid', 't']) {
    it(`a query parameter named ${name} is refused: the session sets it`, () => {
      assert.throws(
        () =>
          new EngineSocket(sessionOptions('http://127.0.0.1:9', { query: { [name]: 'x' } }), nodePlatform, TRANSPORTS),
        {
          name: 'TypeError',
          message: `query parameter "${name}" is set by the Engine.IO client; choose another name`,
        },
      );
    });
  }

  it('without timestampRequests, its parameter name is free for the query', () => {
    const endpoint = urls(sessionOptions('http://example.test', { timestampRequests: false, query: { t: '1' } }));
    assert.equal(endpoint.polling(), 'http://example.test/engine.io/?t=1&EIO=4&transport=polling');
  });
});
