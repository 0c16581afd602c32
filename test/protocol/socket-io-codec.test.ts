import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  Decoder,
  PacketType,
  SocketIoErrorCode,
  SocketIoParseError,
  encodePacket,
  hasBinary,
  resolveDecoderOptions,
  type DecoderOptions,
  type Packet,
} from '../../src/protocol/socket-io/index.js';

function decodeAll(messages: (string | Uint8Array)[], decoder = new Decoder()): Packet[] {
  const out: Packet[] = [];
  for (const message of messages) {
    const packet = decoder.add(message);
    if (packet) out.push(packet);
  }
  return out;
}

/** JSON-comparable form: binaries become their hex, `-0` and `__proto__` keys as JSON sees them. */
function normalize(value: unknown): unknown {
  if (value instanceof Uint8Array) return `bin:${Buffer.from(value).toString('hex')}`;
  if (Array.isArray(value)) return value.map(normalize);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, normalize(item)]));
  }
  return JSON.parse(JSON.stringify(value ?? null)) as unknown;
}

function rejects(message: string | Uint8Array, code: string, decoder = new Decoder()): void {
  assert.throws(
    () => decoder.add(message),
    (err: unknown) => err instanceof SocketIoParseError && err.code === code,
    `${String(message)} should fail with ${code}`,
  );
}

describe('Socket.IO v5 encoding: examples of the protocol document', () => {
  test('CONNECT to the main namespace, and to a custom one with a payload', () => {
    assert.deepEqual(encodePacket({ type: PacketType.Connect, nsp: '/' }), ['0']);
    assert.deepEqual(encodePacket({ type: PacketType.Connect, nsp: '/admin', data: { sid: 'oSO0OpakMV_3jnilAAAA' } }), [
      '0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"}',
    ]);
  });

  test('DISCONNECT and CONNECT_ERROR', () => {
    assert.deepEqual(encodePacket({ type: PacketType.Disconnect, nsp: '/admin' }), ['1/admin,']);
    assert.deepEqual(encodePacket({ type: PacketType.ConnectError, nsp: '/', data: { message: 'Not authorized' } }), [
      '4{"message":"Not authorized"}',
    ]);
  });

  test('EVENT with and without ack id, ACK', () => {
    assert.deepEqual(encodePacket({ type: PacketType.Event, nsp: '/', data: ['foo'] }), ['2["foo"]']);
    assert.deepEqual(encodePacket({ type: PacketType.Event, nsp: '/admin', id: 12, data: ['bar'] }), [
      '2/admin,12["bar"]',
    ]);
    assert.deepEqual(encodePacket({ type: PacketType.Ack, nsp: '/admin', id: 13, data: ['bar'] }), [
      '3/admin,13["bar"]',
    ]);
  });

  test('an EVENT holding binary becomes a BINARY_EVENT with placeholders, attachments after the text', () => {
    const buf = Buffer.from([1, 2, 3]);
    const [text, ...attachments] = encodePacket({ type: PacketType.Event, nsp: '/', data: ['baz', buf] });
    assert.equal(text, '51-["baz",{"_placeholder":true,"num":0}]');
    assert.deepEqual(
      attachments.map((a) => [...a]),
      [[1, 2, 3]],
    );
  });

  test('a BINARY_ACK with nested binaries of every kind', () => {
    const arrayBuffer = Uint8Array.of(9).buffer;
    const view = new Uint16Array([0x0102]);
    const [text, ...attachments] = encodePacket({
      type: PacketType.Ack,
      nsp: '/admin',
      id: 15,
      data: [{ a: [arrayBuffer, { b: view }] }],
    });
    assert.equal(text, '62-/admin,15[{"a":[{"_placeholder":true,"num":0},{"b":{"_placeholder":true,"num":1}}]}]');
    assert.equal(attachments.length, 2);
    assert.deepEqual([...(attachments[0] as Uint8Array)], [9]);
    assert.equal((attachments[1] as Uint8Array).byteLength, 2);
  });

  test('encoding leaves the caller data untouched', () => {
    const data = ['x', { file: Buffer.from('hi') }];
    encodePacket({ type: PacketType.Event, nsp: '/', data });
    assert.ok(Buffer.isBuffer((data[1] as { file: Buffer }).file));
  });

  test('a binary type with no binary is downgraded, never announcing zero attachments', () => {
    assert.deepEqual(encodePacket({ type: PacketType.BinaryEvent, nsp: '/', data: ['a'] }), ['2["a"]']);
  });

  test('hasBinary looks through arrays, objects and toJSON', () => {
    assert.equal(hasBinary(['a', { b: [1, new Uint8Array(1)] }]), true);
    assert.equal(hasBinary({ toJSON: () => ({ b: new ArrayBuffer(1) }) }), true);
    assert.equal(hasBinary(['a', { b: [1, 'c'] }, new Date()]), false);
  });
});

describe('Socket.IO v5 decoding', () => {
  test('every packet type round-trips', () => {
    const packets: Packet[] = [
      { type: PacketType.Connect, nsp: '/' },
      { type: PacketType.Connect, nsp: '/admin', data: { token: '123' } },
      { type: PacketType.Disconnect, nsp: '/admin' },
      { type: PacketType.Event, nsp: '/', data: ['hello', 1, { a: null }] },
      { type: PacketType.Event, nsp: '/x', id: 0, data: [42] },
      { type: PacketType.Ack, nsp: '/', id: 7, data: [] },
      { type: PacketType.ConnectError, nsp: '/', data: { message: 'nope', data: { code: 1 } } },
    ];
    for (const packet of packets) assert.deepEqual(decodeAll(encodePacket(packet)), [packet]);
  });

  test('binary packets wait for their attachments and get them back in place', () => {
    const decoder = new Decoder();
    assert.equal(decoder.add('52-["upload",{"_placeholder":true,"num":1},[{"_placeholder":true,"num":0}]]'), undefined);
    assert.equal(decoder.waitingForAttachments, true);
    const first = Buffer.from('first');
    const second = Buffer.from('second');
    assert.equal(decoder.add(first), undefined);
    const packet = decoder.add(second);
    assert.deepEqual(packet, { type: PacketType.BinaryEvent, nsp: '/', data: ['upload', second, [first]] });
    assert.equal(decoder.waitingForAttachments, false);
  });

  test('a placeholder-shaped object in a plain EVENT is just data', () => {
    assert.deepEqual(decodeAll(['2["a",{"_placeholder":true,"num":0}]']), [
      { type: PacketType.Event, nsp: '/', data: ['a', { _placeholder: true, num: 0 }] },
    ]);
  });

  test('numeric event names are accepted', () => {
    assert.deepEqual(decodeAll(['2[1,"a"]']), [{ type: PacketType.Event, nsp: '/', data: [1, 'a'] }]);
  });
});

describe('Socket.IO v5 decoding: malformed packets', () => {
  test('unknown packet types and empty messages', () => {
    rejects('', SocketIoErrorCode.UnknownPacketType);
    rejects('7["a"]', SocketIoErrorCode.UnknownPacketType);
    rejects('x', SocketIoErrorCode.UnknownPacketType);
  });

  test('bad attachment counts', () => {
    rejects('5["a"]', SocketIoErrorCode.IllegalAttachments);
    rejects('50-["a"]', SocketIoErrorCode.IllegalAttachments);
    rejects('5a-["a"]', SocketIoErrorCode.IllegalAttachments);
    rejects('51["a"]', SocketIoErrorCode.IllegalAttachments);
    rejects('511-["a"]', SocketIoErrorCode.TooManyAttachments);
    rejects('53-["a"]', SocketIoErrorCode.TooManyAttachments, new Decoder({ maxAttachments: 2 }));
  });

  test('placeholders that name no attachment, and attachments nobody references', () => {
    const outOfRange = new Decoder();
    outOfRange.add('51-["a",{"_placeholder":true,"num":1}]');
    rejects(Buffer.from('x'), SocketIoErrorCode.IllegalPlaceholder, outOfRange);
    const unused = new Decoder();
    unused.add('52-["a",{"_placeholder":true,"num":0}]');
    unused.add(Buffer.from('x'));
    rejects(Buffer.from('y'), SocketIoErrorCode.IllegalPlaceholder, unused);
    const notInteger = new Decoder();
    notInteger.add('51-["a",{"_placeholder":true,"num":"0"}]');
    rejects(Buffer.from('x'), SocketIoErrorCode.IllegalPlaceholder, notInteger);
  });

  test('binary data out of turn, text while attachments are awaited', () => {
    rejects(Buffer.from('x'), SocketIoErrorCode.UnexpectedBinary);
    const decoder = new Decoder();
    decoder.add('51-["a",{"_placeholder":true,"num":0}]');
    rejects('2["b"]', SocketIoErrorCode.UnexpectedText, decoder);
  });

  test('bad namespaces', () => {
    rejects('2/,["a"]', SocketIoErrorCode.InvalidNamespace);
    rejects('2/a\u0000b,["a"]', SocketIoErrorCode.InvalidNamespace);
    rejects(`0/${'n'.repeat(300)},`, SocketIoErrorCode.InvalidNamespace);
  });

  test('bad ack ids', () => {
    rejects('299999999999999999999["a"]', SocketIoErrorCode.InvalidAckId);
    rejects('3["a"]', SocketIoErrorCode.InvalidAckId);
    rejects('012{}', SocketIoErrorCode.InvalidAckId);
  });

  test('invalid JSON', () => {
    rejects('2["a"', SocketIoErrorCode.InvalidJson);
    rejects('2/admin,abc', SocketIoErrorCode.InvalidJson);
  });

  test('payloads of the wrong shape', () => {
    rejects('2{"a":1}', SocketIoErrorCode.InvalidPayload);
    rejects('2[]', SocketIoErrorCode.InvalidPayload);
    rejects('2[null]', SocketIoErrorCode.InvalidPayload);
    rejects('2', SocketIoErrorCode.InvalidPayload);
    rejects('3/admin,1{}', SocketIoErrorCode.InvalidPayload);
    rejects('0[1]', SocketIoErrorCode.InvalidPayload);
    rejects('0"x"', SocketIoErrorCode.InvalidPayload);
    rejects('1{}', SocketIoErrorCode.InvalidPayload);
    rejects('4', SocketIoErrorCode.InvalidPayload);
    rejects('4[1]', SocketIoErrorCode.InvalidPayload);
  });

  test('reserved event names', () => {
    for (const name of ['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener']) {
      rejects(`2["${name}"]`, SocketIoErrorCode.ReservedEventName);
    }
  });

  test('payloads nested deeper than maxNestingDepth', () => {
    const nested = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);
    const decoder = new Decoder({ maxNestingDepth: 4 });
    assert.deepEqual(decoder.add(`2["a",${nested(3)}]`), { type: PacketType.Event, nsp: '/', data: ['a', [[[]]]] });
    rejects(`2["a",${nested(4)}]`, SocketIoErrorCode.TooDeep, decoder);
    // Brackets inside strings, escaped quotes included, are not nesting.
    assert.ok(decoder.add(`2["a","[[[[[[\\"[[[[[[", {"b":"{{{{{{{{"}]`));
    // The default stops a binary packet whose placeholder sits 400,000 levels down before any recursion.
    rejects(
      `51-["a",${'['.repeat(400_000)}{"_placeholder":true,"num":0}${']'.repeat(400_000)}]`,
      SocketIoErrorCode.TooDeep,
    );
  });

  test('events with more arguments, and acks with more values, than maxArguments', () => {
    const zeros = (count: number): string => new Array<string>(count).fill('0').join(',');
    const decoder = new Decoder({ maxArguments: 3 });
    assert.deepEqual(decoder.add(`2["a",${zeros(3)}]`)?.data, ['a', 0, 0, 0]);
    assert.deepEqual(decoder.add(`31[${zeros(3)}]`)?.data, [0, 0, 0]);
    rejects(`2["a",${zeros(4)}]`, SocketIoErrorCode.TooManyArguments, decoder);
    rejects(`31[${zeros(4)}]`, SocketIoErrorCode.TooManyArguments, decoder);
    // The default, 1000, stops the packet that would overflow the call stack of a listener.
    rejects(`2["a",${zeros(80_000)}]`, SocketIoErrorCode.TooManyArguments);
  });

  test('attachments past maxAttachmentBytes together are refused before they are kept, and the rest let go of', () => {
    const decoder = new Decoder({ maxAttachmentBytes: 10 });
    const placeholders = [0, 1, 2].map((num) => `{"_placeholder":true,"num":${num}}`).join(',');
    decoder.add(`53-["a",${placeholders}]`);
    assert.equal(decoder.bufferedBytes, 0);
    decoder.add(Buffer.alloc(4));
    decoder.add(new Uint8Array(4).buffer);
    assert.equal(decoder.bufferedBytes, 8);
    rejects(Buffer.alloc(3), SocketIoErrorCode.AttachmentsTooLarge, decoder);
    assert.equal(decoder.bufferedBytes, 0);
    assert.equal(decoder.waitingForAttachments, false);
    // Exactly the budget is fine, and completing the packet releases it.
    const exact = new Decoder({ maxAttachmentBytes: 10 });
    exact.add(`52-["a",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`);
    exact.add(Buffer.alloc(5));
    assert.ok(exact.add(Buffer.alloc(5)));
    assert.equal(exact.bufferedBytes, 0);
  });

  test('limits are validated at construction, each error naming its option', () => {
    const invalid: [keyof DecoderOptions, number][] = [
      ['maxNestingDepth', 0],
      ['maxAttachments', -1],
      ['maxNamespaceLength', 0],
      ['maxArguments', 0],
      ['maxAttachmentBytes', 1.5],
    ];
    for (const [name, value] of invalid) {
      const named = (err: unknown): boolean =>
        err instanceof TypeError && err.message.startsWith(`${name} must be an integer`);
      assert.throws(() => new Decoder({ [name]: value }), named, `${name}: ${value}`);
      assert.throws(() => resolveDecoderOptions({ [name]: value }), named, `${name}: ${value}`);
    }
    assert.deepEqual(resolveDecoderOptions({ maxArguments: 5 }), {
      maxAttachments: 10,
      maxNamespaceLength: 256,
      maxNestingDepth: 128,
      maxArguments: 5,
      maxAttachmentBytes: 1_000_000,
    });
  });
});

describe('Socket.IO v5 codec properties', () => {
  const json = fc.jsonValue({ maxDepth: 3 });
  const binary = fc.uint8Array({ maxLength: 16 }).map((bytes) => Buffer.from(bytes));
  const arg = fc.oneof(json, binary, fc.record({ file: binary, meta: json }));

  test('any event (binaries anywhere) decodes to what was encoded', () => {
    fc.assert(
      fc.property(
        fc
          .string({ minLength: 1 })
          .filter(
            (name) =>
              !['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener'].includes(
                name,
              ),
          ),
        fc.array(arg, { maxLength: 4 }),
        fc.option(fc.nat(), { nil: undefined }),
        fc.constantFrom('/', '/chat', '/a/b'),
        (name, args, id, nsp) => {
          const data = [name, ...args];
          const packet: Packet = { type: PacketType.Event, nsp, data };
          if (id !== undefined) packet.id = id;
          const decoded = decodeAll(encodePacket(packet));
          assert.equal(decoded.length, 1);
          assert.deepEqual(normalize(decoded[0]?.data), normalize(data));
          assert.equal(decoded[0]?.id, id);
          assert.equal(decoded[0]?.nsp, nsp);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('random text never throws anything but a SocketIoParseError', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.uint8Array({ maxLength: 4 })), { maxLength: 4 }), (messages) => {
        const decoder = new Decoder();
        for (const message of messages) {
          try {
            decoder.add(message);
          } catch (err) {
            assert.ok(err instanceof SocketIoParseError, String(err));
            return;
          }
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('random packet-shaped text never throws anything but a SocketIoParseError', () => {
    const prefix = fc.constantFrom('0', '1', '2', '3', '4', '5', '6', '51-', '52-', '2/a,', '3/a,1', '21');
    fc.assert(
      fc.property(prefix, fc.oneof(fc.string(), fc.json()), (head, tail) => {
        try {
          new Decoder().add(head + tail);
        } catch (err) {
          assert.ok(err instanceof SocketIoParseError, String(err));
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('docs/errors.md, Socket.IO section', () => {
  const text = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const section = text.slice(text.indexOf('## Socket.IO errors'));
  const rows = new Map<string, string>();
  for (const line of section.split('\n')) {
    const match = /^\| `SocketIoErrorCode\.(\w+)` \| `(ERR_SIO_[A-Z_]+)` \|/.exec(line);
    if (match) rows.set(match[2] as string, match[1] as string);
  }

  test('documents every SocketIoErrorCode under its constant, and nothing else', () => {
    for (const [constant, code] of Object.entries(SocketIoErrorCode)) assert.equal(rows.get(code), constant, code);
    assert.equal(rows.size, Object.keys(SocketIoErrorCode).length);
  });
});
