import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ErrorCode, WebSocketError } from '../../src/ws/index.js';
import { clientFrame } from '../helpers/frames.js';
import { RawClient, startServer } from '../helpers/ws-peers.js';
import {
  PAIRINGS,
  type EndDeflateOptions,
  binaryOfBytes,
  closeOf,
  echoMessages,
  expectTooBig,
  nextMessage,
  ourClose,
  startPaired,
  textOfBytes,
  wsClose,
  type EndOptions,
  type PairedServer,
  type Peer,
} from './interop-shared.js';
import { waitFor } from '../helpers/wait.js';

// permessage-deflate (RFC 7692) between Switchboard and `ws`, in both pairings.

/** The same negotiation options, as each implementation names them (they share ws's names). */
const CONFIGURATIONS: readonly { readonly name: string; readonly options: EndDeflateOptions }[] = [
  { name: 'defaults', options: { threshold: 0 } },
  {
    name: 'no context takeover',
    options: { threshold: 0, serverNoContextTakeover: true, clientNoContextTakeover: true },
  },
  { name: 'small windows', options: { threshold: 0, serverMaxWindowBits: 9, clientMaxWindowBits: 10 } },
];

const SIZES = [0, 1, 126, 65536, 1024 * 1024];

/** Both ends compress every message; the Switchboard end may add its own limits. */
const COMPRESSING = { perMessageDeflate: { threshold: 0 } } as const satisfies EndOptions;

/** Sends similar messages of every size twice through an echo, so context takeover carries across messages. */
async function exchange(sender: Peer, receiver: Peer): Promise<void> {
  for (const size of SIZES) {
    for (let round = 0; round < 2; round++) {
      for (const [kind, message] of [
        ['text', textOfBytes(size)],
        ['binary', binaryOfBytes(size)],
      ] as const) {
        const echoed = nextMessage(receiver);
        sender.send(message);
        const got = await echoed;
        assert.equal(got.isBinary, kind === 'binary');
        assert.ok(got.data.equals(Buffer.from(message)), `${kind} of ${size} bytes, round ${round}`);
      }
    }
  }
  // A compressed message sent in fragments is one deflate stream (RFC 7692 §6.1).
  const fragmented = nextMessage(receiver);
  const text = Buffer.from(textOfBytes(5000));
  sender.send(text.subarray(0, 1), { binary: false, fin: false });
  sender.send(text.subarray(1, 2501), { binary: false, fin: false });
  sender.send(text.subarray(2501), { binary: false, fin: true });
  assert.ok((await fragmented).data.equals(text), 'fragmented compressed text');
}

for (const { name, options } of CONFIGURATIONS) {
  describe(`interop: permessage-deflate, ${name}`, () => {
    for (const pairing of PAIRINGS) {
      describe(pairing.name, () => {
        let server: PairedServer;
        before(async () => {
          server = await pairing.start({ perMessageDeflate: options });
          echoMessages(server);
        });
        after(() => server.close());

        test('negotiates the extension and echoes messages of every size, whole and fragmented', async () => {
          const connection = await server.connect({ perMessageDeflate: options });
          assert.match(connection.ours.extensions, /^permessage-deflate/);
          assert.match(connection.theirs.extensions, /^permessage-deflate/);
          await exchange(connection.client, connection.client);
          const closed = closeOf(connection.client);
          connection.client.close(1000);
          assert.equal((await closed).code, 1000);
        });
      });
    }
  });
}

const numbered = (prefix: string): string[] =>
  Array.from({ length: 200 }, (_, i) => `${prefix} ${i} ${'x'.repeat(i * 7)}`);

describe('interop: permessage-deflate ordering around async zlib', () => {
  for (const pairing of PAIRINGS) {
    describe(pairing.name, () => {
      test('compressed messages the client sends right before its close all reach the server before the close', async () => {
        const server = await pairing.start(COMPRESSING);
        try {
          const seen: string[] = [];
          let closedAfter = -1;
          const done = new Promise<void>((resolve) =>
            server.onConnection((socket) => {
              socket.on('message', (data: Buffer) => seen.push(String(data)));
              socket.on('close', () => {
                closedAfter = seen.length;
                resolve();
              });
            }),
          );
          const { client } = await server.connect(COMPRESSING);
          const messages = numbered('compressed');
          for (const message of messages) client.send(message);
          client.ping('between');
          client.close(4000, 'bye');
          await done;
          assert.equal(closedAfter, messages.length);
          assert.deepEqual(seen, messages);
        } finally {
          await server.close();
        }
      });

      test('compressed messages the server sends right after the handshake and before its close all reach the client before the close', async () => {
        const server = await pairing.start(COMPRESSING);
        try {
          const messages = numbered('from the server');
          server.onConnection((socket) => {
            for (const message of messages) socket.send(message);
            socket.close(4001, 'done');
          });
          // Listen before the handshake completes: the first messages may come with the response.
          const client = server.dial(COMPRESSING);
          const seen: string[] = [];
          client.on('message', (data: Buffer) => seen.push(String(data)));
          const outcome = await closeOf(client);
          assert.deepEqual(outcome, { code: 4001, reason: 'done', wasClean: true });
          assert.deepEqual(seen, messages);
        } finally {
          await server.close();
        }
      });

      test('a compressed fragmented message with a ping between its fragments arrives whole', async () => {
        const server = await pairing.start(COMPRESSING);
        try {
          const connection = await server.connect(COMPRESSING);
          const { client, server: socket } = connection;
          const received = nextMessage(socket);
          const pinged = waitFor<[Buffer]>(socket, 'ping');
          const text = Buffer.from(textOfBytes(3000));
          client.send(text.subarray(0, 1000), { binary: false, fin: false, compress: true });
          client.ping('between');
          client.send(text.subarray(1000), { binary: false, fin: true, compress: true });
          assert.equal((await pinged)[0].toString(), 'between');
          assert.ok((await received).data.equals(text));
          const closed = ourClose(connection.ours);
          client.close();
          await closed;
        } finally {
          await server.close();
        }
      });
    });
  }
});

/** Text that is not UTF-8, which `ws` sends unchecked: the Switchboard end must catch it after inflating. */
const INVALID_TEXT = [
  {
    name: 'a surrogate after valid text',
    bytes: Buffer.concat([Buffer.from('valid start '), Buffer.of(0xed, 0xa0, 0x80)]),
  },
  { name: 'an overlong encoding', bytes: Buffer.of(0x61, 0xc0, 0xaf) },
] as const;

describe('interop: permessage-deflate limits', () => {
  // 4 MiB of zeros compresses to a few KiB: maxPayload must count the inflated size.
  const bomb = Buffer.alloc(4 * 1024 * 1024);
  const limited = { perMessageDeflate: true, maxPayload: 1024 * 1024 } as const satisfies EndOptions;

  for (const pairing of PAIRINGS) {
    describe(pairing.name, () => {
      test(`the Switchboard ${pairing.ours} fails a small compressed message that inflates past maxPayload with 1009`, async () => {
        const { server, clientOptions } = await startPaired(pairing, { ours: limited, theirs: COMPRESSING });
        try {
          const connection = await server.connect(clientOptions);
          await expectTooBig(pairing, connection, pairing.ours, (sender) => sender.send(bomb));
        } finally {
          await server.close();
        }
      });

      test(`the Switchboard ${pairing.ours} delivers a message of exactly maxPayload bytes once inflated`, async () => {
        const { server, clientOptions } = await startPaired(pairing, { ours: limited, theirs: COMPRESSING });
        try {
          const connection = await server.connect(clientOptions);
          const received = nextMessage(connection.ours);
          connection.theirs.send(Buffer.alloc(1024 * 1024, 7));
          const { data } = await received;
          assert.equal(data.length, 1024 * 1024);
          assert.ok(data.every((byte) => byte === 7));
          const closed = ourClose(connection.ours);
          connection.client.close();
          assert.equal((await closed).code, 1005);
        } finally {
          await server.close();
        }
      });

      for (const invalid of INVALID_TEXT) {
        test(`compressed text that inflates to invalid UTF-8 (${invalid.name}) fails the Switchboard ${pairing.ours} with 1007`, async () => {
          const { server, clientOptions } = await startPaired(pairing, {
            ours: { perMessageDeflate: true },
            theirs: COMPRESSING,
          });
          try {
            const connection = await server.connect(clientOptions);
            const error = waitFor<[Error]>(connection.ours, 'error');
            const ours = ourClose(connection.ours);
            const theirs = wsClose(connection.theirs);
            connection.theirs.send(invalid.bytes, { binary: false, compress: true });
            const [failure] = await error;
            assert.ok(failure instanceof WebSocketError);
            assert.equal(failure.code, ErrorCode.InvalidUtf8);
            assert.equal((await ours).code, 1007);
            assert.equal((await theirs).code, 1007);
          } finally {
            await server.close();
          }
        });
      }
    });
  }

  test('a compressed message that does not inflate fails the Switchboard server with 1007 and ERR_INVALID_COMPRESSED_DATA', async () => {
    const server = await startServer({ perMessageDeflate: true });
    try {
      const accepted = waitFor<[Peer]>(server.wss, 'connection');
      const raw = await RawClient.open(server.port, '/', 'Sec-WebSocket-Extensions: permessage-deflate\r\n');
      assert.match(raw.response, /sec-websocket-extensions: permessage-deflate/i);
      const [socket] = await accepted;
      const error = waitFor<[Error]>(socket, 'error');
      // 0xff starts a deflate block of the reserved type 3: no inflater accepts it.
      raw.write(clientFrame(0x2, Uint8Array.of(0xff, 0xff, 0xff, 0xff), { rsv: 0x40 }));
      const [failure] = await error;
      assert.ok(failure instanceof WebSocketError);
      assert.equal(failure.code, ErrorCode.InvalidCompressedData);
      assert.equal(await raw.readCloseCode(), 1007);
      await raw.waitForEnd();
    } finally {
      await server.close();
    }
  });
});
