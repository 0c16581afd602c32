/**
 * The host's network events: when it reports the network gone (a browser's `offline`), a session
 * closes at once with `transport close` (`network connection lost`), as `engine.io-client` does,
 * rather than after its ping timeout; a session still opening fails without trying another transport.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClientPlatform, TransportName } from '../../../src/client/engine/types.js';
import { nodePlatform } from '../../../src/client-node/platform.js';
import { withEngine } from '../../engine/helpers.js';
import { openSession, record, sessionOptions } from './helpers.js';

/** The Node platform with an `offline` event the test fires itself. */
function offlinePlatform(): { platform: ClientPlatform; listeners: Set<() => void>; goOffline(): void } {
  const listeners = new Set<() => void>();
  const platform: ClientPlatform = {
    ...nodePlatform,
    onNetworkOffline(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return { platform, listeners, goOffline: () => [...listeners].forEach((listener) => listener()) };
}

describe('the network goes offline', () => {
  it("an open session closes at once: 'transport close', network connection lost, over either transport", () =>
    // Heartbeats far apart: only the offline event can end the session within the test.
    withEngine({ pingInterval: 60_000, pingTimeout: 60_000 }, async (fixture) => {
      for (const transports of [['websocket'], ['polling']] as TransportName[][]) {
        const { platform, listeners, goOffline } = offlinePlatform();
        const { session, closes } = await openSession(sessionOptions(fixture.origin, { transports }), platform);
        try {
          assert.equal(listeners.size, 1, 'the session listens while it lives');
          goOffline();
          assert.deepEqual(closes, [['transport close', { description: 'network connection lost' }]]);
          assert.equal(listeners.size, 0, 'and stops listening once closed');
        } finally {
          session.close();
        }
      }
    }));

  it('a session still opening fails at once, with no fallback to the next transport', () =>
    withEngine({}, async (fixture) => {
      const { platform, goOffline } = offlinePlatform();
      const { session, errors, upgrades, closes } = record(sessionOptions(fixture.origin), platform);
      try {
        goOffline();
        assert.equal(errors.length, 1);
        assert.equal(errors[0]!.message, 'transport close');
        assert.deepEqual((errors[0] as { description?: unknown }).description, {
          description: 'network connection lost',
        });
        assert.deepEqual(upgrades, [], 'polling is not tried');
        assert.deepEqual(closes, [['transport error', errors[0]]]);
      } finally {
        session.close();
      }
    }));
});
