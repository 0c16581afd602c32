import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDebugLog, isDebugEnabled, parseDebugPatterns } from '../../src/diagnostics/debug.js';

describe('DEBUG patterns', () => {
  const on = (value: string | undefined, namespace: string): boolean =>
    isDebugEnabled(namespace, parseDebugPatterns(value));

  it('is off when DEBUG is unset or empty', () => {
    assert.equal(on(undefined, 'switchboard:engine'), false);
    assert.equal(on('', 'switchboard:engine'), false);
  });

  it('matches exact names and * wildcards, separated by commas or spaces', () => {
    assert.equal(on('switchboard:engine', 'switchboard:engine'), true);
    assert.equal(on('switchboard:engine', 'switchboard:ws'), false);
    assert.equal(on('switchboard:*', 'switchboard:ws'), true);
    assert.equal(on('*', 'switchboard:server'), true);
    assert.equal(on('other, switchboard:ws', 'switchboard:ws'), true);
    assert.equal(on('other switchboard:server', 'switchboard:server'), true);
  });

  it('excludes names after a leading -, whatever the order', () => {
    assert.equal(on('switchboard:*,-switchboard:ws', 'switchboard:ws'), false);
    assert.equal(on('-switchboard:ws,switchboard:*', 'switchboard:ws'), false);
    assert.equal(on('switchboard:*,-switchboard:ws', 'switchboard:engine'), true);
  });

  it('treats regular-expression characters in names literally', () => {
    assert.equal(on('switchboard.engine', 'switchboardXengine'), false);
    assert.equal(on('switchboard:(engine)', 'switchboard:(engine)'), true);
  });
});

/** What `action` writes to stderr, which is restored afterwards. */
function captureStderr(action: () => void): string {
  const write = process.stderr.write;
  let written = '';
  process.stderr.write = ((chunk: string) => ((written += chunk), true)) as typeof process.stderr.write;
  try {
    action();
  } finally {
    process.stderr.write = write;
  }
  return written;
}

describe('createDebugLog', () => {
  it('returns a disabled channel that writes nothing when its name is not turned on', () => {
    const log = createDebugLog('engine', parseDebugPatterns('switchboard:ws'));
    assert.equal(log.enabled, false);
    assert.equal(log.namespace, 'switchboard:engine');
    assert.equal(
      captureStderr(() => log('handshake %s', 'abc')),
      '',
    );
  });

  it('writes one formatted line per call to stderr when turned on', () => {
    const log = createDebugLog('engine', parseDebugPatterns('switchboard:*'));
    assert.equal(log.enabled, true);
    const written = captureStderr(() => log('handshake %s over %s, %d bytes %o', 'abc', 'polling', 12, { a: 1 }));
    assert.match(written, /^switchboard:engine handshake abc over polling, 12 bytes \{ a: 1 \} \+\d+ms\n$/);
  });
});
