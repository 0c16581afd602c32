import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { storyStderr } from './story.js';

const STORY = 'session-story.ts';

describe('DEBUG=switchboard:* channels', () => {
  it('tell handshakes, refusals, upgrades, namespace refusals and disconnect reasons', async () => {
    const stderr = await storyStderr(STORY, 'switchboard:*');
    assert.match(
      stderr,
      /^switchboard:engine refused GET \/socket\.io\/\?EIO=4&transport=carrier-pigeon with 400: Transport unknown/m,
    );
    assert.match(stderr, /^switchboard:engine session \S+ opened over polling from (::ffff:)?127\.0\.0\.1/m);
    assert.match(stderr, /^switchboard:engine session \S+ upgraded from polling to websocket/m);
    assert.match(stderr, /^switchboard:server socket \S+ connected to \/ over session \S+/m);
    assert.match(stderr, /^switchboard:server connection to \/private over session \S+ refused: not allowed/m);
    assert.match(stderr, /^switchboard:server socket \S+ left \/: client namespace disconnect/m);
    assert.match(stderr, /^switchboard:engine session \S+ closed: /m);
  });

  it('say nothing when DEBUG does not name them', async () => {
    assert.doesNotMatch(await storyStderr(STORY, undefined), /switchboard:/);
    assert.doesNotMatch(
      await storyStderr(STORY, 'switchboard:*,-switchboard:engine,-switchboard:server,-switchboard:ws'),
      /switchboard:/,
    );
  });
});
