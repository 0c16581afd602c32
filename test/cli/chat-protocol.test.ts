import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, test } from 'node:test';
import {
  checkNickname,
  checkText,
  decodeSharedFile,
  defaultChatLimits,
  encodeFileFrame,
  MAX_FILE_HEADER_BYTES,
  parseClientMessage,
  parseFileFrame,
  type Checked,
} from '../../src/cli/chat/chat-protocol.js';
import { anyText } from '../helpers/any-text.js';

const limits = defaultChatLimits;

function value<T>(checked: Checked<T>): T {
  if (!checked.ok) assert.fail(`refused: ${checked.reason}`);
  return checked.value;
}

function reason<T>(checked: Checked<T>): string {
  if (checked.ok) assert.fail(`accepted: ${JSON.stringify(checked.value)}`);
  return checked.reason;
}

describe('checkNickname', () => {
  test('trims, collapses whitespace and normalizes to NFC', () => {
    assert.equal(value(checkNickname('  Ada \t Lovelace  ', limits)), 'Ada Lovelace');
    assert.equal(value(checkNickname('Jose\u0301', limits)), 'Jos\u00e9');
    assert.equal(value(checkNickname('名前', limits)), '名前');
  });

  test('counts code points, not UTF-16 units, against the limit', () => {
    assert.equal(value(checkNickname('😀'.repeat(24), limits)), '😀'.repeat(24));
    assert.match(reason(checkNickname('😀'.repeat(25), limits)), /longer than 24/);
    assert.match(reason(checkNickname('a'.repeat(25), limits)), /longer than 24/);
  });

  test('refuses empty names, non-strings and invisible characters', () => {
    assert.match(reason(checkNickname('   ', limits)), /empty/);
    assert.match(reason(checkNickname(42, limits)), /string/);
    assert.match(reason(checkNickname(undefined, limits)), /string/);
    for (const sneaky of ['ad\u202ea', 'a\u200bb', 'a\u0000b', 'a\u0007', 'a\u2066b', 'a\u00adb']) {
      assert.match(reason(checkNickname(sneaky, limits)), /invisible or control/, JSON.stringify(sneaky));
    }
  });
});

describe('checkText', () => {
  test('keeps newlines and tabs, turns CRLF into LF, drops other controls, trims', () => {
    assert.equal(value(checkText('  one\r\ntwo\rthree\tfour\u0000\u0007\u009b  ', limits)), 'one\ntwo\nthree\tfour');
  });

  test('refuses empty and over-long text and non-strings', () => {
    assert.match(reason(checkText(' \n ', limits)), /empty/);
    assert.match(reason(checkText({}, limits)), /string/);
    assert.equal(value(checkText('x'.repeat(2000), limits)).length, 2000);
    assert.match(reason(checkText('x'.repeat(2001), limits)), /longer than 2000/);
  });
});

describe('parseClientMessage', () => {
  test('parses join and message', () => {
    assert.deepEqual(value(parseClientMessage('{"type":"join","nick":" Ada "}', limits)), {
      type: 'join',
      nick: 'Ada',
    });
    assert.deepEqual(value(parseClientMessage('{"type":"message","text":"hi","extra":1}', limits)), {
      type: 'message',
      text: 'hi',
    });
  });

  test('refuses malformed JSON, wrong shapes and unknown types', () => {
    for (const [data, expected] of [
      ['', /not JSON/],
      ['{', /not JSON/],
      ['null', /not a JSON object/],
      ['[1]', /not a JSON object/],
      ['"join"', /not a JSON object/],
      ['{}', /unknown message type/],
      ['{"type":"admin"}', /unknown message type/],
      ['{"type":["join"],"nick":"x"}', /unknown message type/],
      ['{"type":"join"}', /nickname must be a string/],
      ['{"type":"message","text":5}', /text must be a string/],
      ['{"type":"__proto__"}', /unknown message type/],
    ] as const) {
      assert.match(reason(parseClientMessage(data, limits)), expected, data);
    }
  });

  test('refuses a huge frame before parsing it', () => {
    const huge = JSON.stringify({ type: 'message', text: 'x'.repeat(limits.maxTextLength * 6 + 300) });
    assert.match(reason(parseClientMessage(huge, limits)), /too large/);
    // The worst legitimate case, every character escaped, still fits.
    const escaped = JSON.stringify({ type: 'message', text: '\u0001'.repeat(limits.maxTextLength) });
    assert.match(reason(parseClientMessage(escaped, limits)), /text is empty/);
  });
});

describe('file frames', () => {
  const bytes = Uint8Array.from({ length: 256 }, (_, index) => index);

  test('a client offer round-trips through parseFileFrame', () => {
    const offer = value(
      parseFileFrame(encodeFileFrame({ name: 'all-bytes.bin', type: 'Application/Octet-Stream' }, bytes), limits),
    );
    assert.equal(offer.name, 'all-bytes.bin');
    assert.equal(offer.type, 'application/octet-stream');
    assert.deepEqual([...offer.bytes], [...bytes]);
  });

  test('a relayed file round-trips through decodeSharedFile', () => {
    const file = decodeSharedFile(encodeFileFrame({ from: 'Ada', name: 'a.png', type: 'image/png', at: 1234 }, bytes));
    assert.deepEqual(
      { ...file, bytes: [...file.bytes] },
      { from: 'Ada', name: 'a.png', type: 'image/png', at: 1234, bytes: [...bytes] },
    );
  });

  test('an empty type means octet-stream; names lose controls and path separators', () => {
    const offer = value(
      parseFileFrame(encodeFileFrame({ name: '../..\\etc/pass\u0000wd\u202e', type: '' }, bytes), limits),
    );
    assert.equal(offer.name, '....etcpasswd');
    assert.equal(offer.type, 'application/octet-stream');
  });

  test('accepts a file of exactly maxFileBytes and an empty file, refuses one byte more', () => {
    const small = { ...limits, maxFileBytes: 10 };
    assert.equal(
      value(parseFileFrame(encodeFileFrame({ name: 'a', type: '' }, new Uint8Array(10)), small)).bytes.length,
      10,
    );
    assert.equal(
      value(parseFileFrame(encodeFileFrame({ name: 'a', type: '' }, new Uint8Array(0)), small)).bytes.length,
      0,
    );
    assert.match(
      reason(parseFileFrame(encodeFileFrame({ name: 'a', type: '' }, new Uint8Array(11)), small)),
      /larger than 10 bytes/,
    );
  });

  test('refuses broken frames and headers', () => {
    const header = (json: string): Uint8Array => {
      const text = Buffer.from(json);
      return Buffer.concat([Buffer.from([text.length >> 8, text.length & 0xff]), text]);
    };
    for (const [frame, expected] of [
      [new Uint8Array(0), /too short/],
      [Uint8Array.of(0), /too short/],
      [Uint8Array.of(0, 10, 0x7b), /truncated/],
      [Uint8Array.of((MAX_FILE_HEADER_BYTES + 1) >> 8, (MAX_FILE_HEADER_BYTES + 1) & 0xff), /header is too large/],
      [Uint8Array.of(0, 2, 0xc3, 0x28), /not UTF-8 JSON/],
      [header('{'), /not UTF-8 JSON/],
      [header('[]'), /not a JSON object/],
      [header('null'), /not a JSON object/],
      [header('{"type":"text/plain"}'), /name must be a string/],
      [header('{"name":" \\u0000 ","type":""}'), /name is empty/],
      [header(`{"name":"${'n'.repeat(201)}","type":""}`), /name is longer than 200/],
      [header('{"name":"a"}'), /type must be a string/],
      [header('{"name":"a","type":"text/html; charset=utf-8"}'), /not a MIME type/],
      [header('{"name":"a","type":"nonsense"}'), /not a MIME type/],
    ] as const) {
      assert.match(reason(parseFileFrame(frame, limits)), expected);
    }
  });
});

describe('any input', () => {
  test('parseClientMessage never throws, and what it accepts obeys the limits', () => {
    const json = fc.oneof(
      anyText(60),
      fc
        .record(
          { type: fc.constantFrom('join', 'message', 'other'), nick: fc.anything(), text: fc.anything() },
          { requiredKeys: [] },
        )
        .map((value) => JSON.stringify(value)),
      fc.jsonValue().map((value) => JSON.stringify(value)),
    );
    fc.assert(
      fc.property(json, (data) => {
        const parsed = parseClientMessage(data, limits);
        if (!parsed.ok) return;
        const message = parsed.value;
        if (message.type === 'join') assert.ok(checkNickname(message.nick, limits).ok);
        else assert.ok(message.text.length > 0 && message.text.length <= limits.maxTextLength);
      }),
      { numRuns: 1000 },
    );
  });

  test('parseFileFrame never throws on random bytes and never reads past the frame', () => {
    const frame = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.tuple(fc.jsonValue(), fc.uint8Array({ maxLength: 32 })).map(([header, body]) => {
        const text = Buffer.from(JSON.stringify(header) ?? '');
        return Buffer.concat([Buffer.from([text.length >> 8, text.length & 0xff]), text, body]);
      }),
    );
    fc.assert(
      fc.property(frame, (bytes) => {
        const parsed = parseFileFrame(bytes, limits);
        if (parsed.ok) assert.ok(parsed.value.bytes.length <= bytes.length - 2);
      }),
      { numRuns: 1000 },
    );
  });
});
