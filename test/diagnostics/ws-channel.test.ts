import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { storyStderr } from './story.js';

const STORY = 'ws-story.ts';

describe('DEBUG=switchboard:ws', () => {
  it('tells refusals, handshake failures, connections opened and closed, and protocol errors', async () => {
    const stderr = await storyStderr(STORY, 'switchboard:ws');
    const address = '(::ffff:)?127\\.0\\.0\\.1';
    assert.match(
      stderr,
      new RegExp(`^switchboard:ws refused a request from ${address} with 426: Upgrade Required`, 'm'),
    );
    assert.match(
      stderr,
      new RegExp(`^switchboard:ws refused GET /private from ${address} with 401: .*\\(ERR_HANDSHAKE_REFUSED\\)`, 'm'),
    );
    assert.match(
      stderr,
      /^switchboard:ws client handshake to ws:\/\/127\.0\.0\.1:\d+\/private failed: Unexpected server response: 401 \(ERR_BAD_UPGRADE_RESPONSE\)/m,
    );
    assert.match(
      stderr,
      new RegExp(
        `^switchboard:ws connection opened on /chat from ${address} \\(subprotocol chat, extensions none\\)`,
        'm',
      ),
    );
    assert.match(
      stderr,
      /^switchboard:ws client connected to ws:\/\/127\.0\.0\.1:\d+\/chat \(subprotocol chat, extensions none\)/m,
    );
    assert.match(stderr, /^switchboard:ws client connection closed: 1000 "", closed by this side, clean/m);
    assert.match(stderr, /^switchboard:ws server connection closed: 1000 "bye", closed by the peer, clean/m);
    assert.match(stderr, /^switchboard:ws server connection failed: ERR_UNMASKED_CLIENT_FRAME .* \(close 1002\)/m);
    assert.match(stderr, /^switchboard:ws server connection closed: 1002 "", closed by this side, not clean/m);
  });

  it('says nothing when DEBUG does not name it', async () => {
    assert.doesNotMatch(await storyStderr(STORY, undefined), /switchboard:/);
    assert.doesNotMatch(await storyStderr(STORY, 'switchboard:*,-switchboard:ws'), /switchboard:/);
  });
});
