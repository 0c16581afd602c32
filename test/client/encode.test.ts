/**
 * The client's packet writer gives the same messages as the server's encoder (the reference for
 * the protocol) on every shape a client sends: plain and binary payloads, nested or at the top,
 * views of part of a buffer, Node Buffers, `toJSON`, namespaces and ack ids.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Contents, contentsOf } from '../../src/client/blobs.js';
import { encodeMessage } from '../../src/client/encode.js';
import { PacketType, encodePacket, type Packet } from '../../src/protocol/socket-io/index.js';

const bytes = new Uint8Array([1, 2, 3, 4, 5, 6]);

const PACKETS: [string, Packet][] = [
  ['CONNECT without data', { type: PacketType.Connect, nsp: '/' }],
  ['CONNECT with auth, to a namespace', { type: PacketType.Connect, nsp: '/chat', data: { token: 'a"b', n: 1 } }],
  [
    'CONNECT whose auth holds a Buffer (plain JSON)',
    { type: PacketType.Connect, nsp: '/', data: { key: Buffer.from('k') } },
  ],
  ['DISCONNECT', { type: PacketType.Disconnect, nsp: '/admin' }],
  ['EVENT', { type: PacketType.Event, nsp: '/', data: ['hello', 1, null, { a: [true] }] }],
  ['EVENT with an ack id 0', { type: PacketType.Event, nsp: '/', id: 0, data: ['save'] }],
  ['EVENT with an ack id, to a namespace', { type: PacketType.Event, nsp: '/chat', id: 42, data: ['save', 'x'] }],
  [
    'EVENT with a Date and a toJSON',
    { type: PacketType.Event, nsp: '/', data: ['d', new Date(0), { toJSON: () => 'j' }] },
  ],
  ['EVENT with a Uint8Array', { type: PacketType.Event, nsp: '/', data: ['file', bytes] }],
  [
    'EVENT with an ArrayBuffer and a Buffer, nested',
    { type: PacketType.Event, nsp: '/', id: 7, data: ['f', { a: bytes.buffer, b: [Buffer.from('xy')] }] },
  ],
  [
    'EVENT with a view of part of a buffer',
    {
      type: PacketType.Event,
      nsp: '/',
      data: ['part', new DataView(bytes.buffer, 2, 3), new Uint16Array(bytes.buffer, 2, 1)],
    },
  ],
  [
    'EVENT with a toJSON that returns binary',
    { type: PacketType.Event, nsp: '/', data: ['t', { toJSON: () => bytes }] },
  ],
  ['ACK', { type: PacketType.Ack, nsp: '/', id: 3, data: ['ok'] }],
  ['ACK with binary, to a namespace', { type: PacketType.Ack, nsp: '/n', id: 4, data: [bytes, 'x'] }],
];

describe('Client: encodeMessage', () => {
  for (const [name, packet] of PACKETS) {
    test(name, () => {
      const [expectedText, ...expectedAttachments] = encodePacket(packet);
      // As the manager writes it (plain JSON unless the data holds binary), and through the
      // binary path whatever the data: both give the server's bytes.
      for (const binary of [contentsOf(packet.data) === Contents.Binary, true]) {
        const [text, ...attachments] = encodeMessage(packet, binary);
        assert.equal(text, expectedText);
        assert.deepEqual(
          attachments.map((attachment) => [...attachment]),
          expectedAttachments.map((attachment) => [...attachment]),
        );
      }
    });
  }

  test('contentsOf tells plain data, binary data (also behind toJSON) and Blobs apart', () => {
    assert.equal(contentsOf(['hello', 1, null, { a: [true], d: new Date(0) }]), Contents.Json);
    assert.equal(contentsOf(undefined), Contents.Json);
    assert.equal(contentsOf(['f', { a: [{ b: Buffer.from('x') }] }]), Contents.Binary);
    assert.equal(contentsOf(['t', { toJSON: () => ({ inner: bytes.buffer }) }]), Contents.Binary);
    assert.equal(contentsOf(['v', new DataView(bytes.buffer, 1, 2)]), Contents.Binary);
    assert.equal(contentsOf(['a', [[bytes.buffer]]]), Contents.Binary);
    // A Blob anywhere wins: its bytes must be read before anything is written.
    assert.equal(contentsOf(['b', bytes, { file: new Blob(['x']) }]), Contents.Blobs);
    assert.equal(contentsOf(['f', [new File(['x'], 'x.txt')]]), Contents.Blobs);
  });

  test("a binary attachment is a view of the caller's bytes, never a copy", () => {
    const [text, attachment] = encodeMessage({
      type: PacketType.Event,
      nsp: '/',
      data: ['part', bytes.subarray(1, 3)],
    });
    assert.equal(text, '51-["part",{"_placeholder":true,"num":0}]');
    assert.equal(attachment!.buffer, bytes.buffer);
    assert.deepEqual([...attachment!], [2, 3]);
  });
});
