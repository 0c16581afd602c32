import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { spawnNode } from '../helpers/processes.js';

const STORY = ['--import', 'tsx', 'test/diagnostics/fixtures/session-story.ts'];

/** Runs the story with `DEBUG` set to `debug` (unset when `undefined`) and returns its stderr. */
async function storyStderr(debug: string | undefined): Promise<string> {
  const child = spawnNode(STORY, { DEBUG: debug });
  try {
    await child.waitForOutput(/done/, 20_000);
    const exit = await child.exited;
    assert.equal(exit.code, 0, child.stderr());
    return child.stderr();
  } finally {
    child.kill();
  }
}

describe('DEBUG=switchboard:* channels', () => {
  it('tell handshakes, refusals, upgrades, namespace refusals and disconnect reasons', async () => {
    const stderr = await storyStderr('switchboard:*');
    assert.match(stderr, /^switchboard:engine refused GET \/socket\.io\/\?EIO=4&transport=carrier-pigeon with 400: Transport unknown/m);
    assert.match(stderr, /^switchboard:engine session \S+ opened over polling from (::ffff:)?127\.0\.0\.1/m);
    assert.match(stderr, /^switchboard:engine session \S+ upgraded from polling to websocket/m);
    assert.match(stderr, /^switchboard:server socket \S+ connected to \/ over session \S+/m);
    assert.match(stderr, /^switchboard:server connection to \/private over session \S+ refused: not allowed/m);
    assert.match(stderr, /^switchboard:server socket \S+ left \/: client namespace disconnect/m);
    assert.match(stderr, /^switchboard:engine session \S+ closed: /m);
  });

  it('say nothing when DEBUG does not name them', async () => {
    assert.doesNotMatch(await storyStderr(undefined), /switchboard:/);
    assert.doesNotMatch(await storyStderr('switchboard:*,-switchboard:engine,-switchboard:server,-switchboard:ws'), /switchboard:/);
  });
});
