import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MessageEvent } from '../../src/ws/index.js';
import {
  CLOSE_REASON,
  PAIRINGS,
  SIZES,
  VALID_CLOSE_CODES,
  binaryOfBytes,
  echoMessages,
  expectTooBig,
  nextMessage,
  ourClose,
  startPaired,
  textOfBytes,
  wsClose,
  type Connection,
  type PairedServer,
  type Peer,
  type Role,
} from './interop-shared.js';
import { waitFor, withTimeout } from '../helpers/wait.js';

// One suite, run twice: Switchboard's WebSocketServer against the `ws` client, and the `ws` server
// against Switchboard's client. Tests name ends by role; each pairing decides who plays which.

const other = (role: Role): Role => (role === 'server' ? 'client' : 'server');

/**
 * Text each end sends in three fragments, and where it is cut: inside multi-byte characters, since
 * fragments need not end on character boundaries.
 */
const FRAGMENTED_TEXT = {
  client: { text: 'fragmented 𝄞 message', cuts: [13, 14] },
  server: { text: '€uro and 𝄞 clef', cuts: [2, 15] },
} as const satisfies Record<Role, { text: string; cuts: readonly [number, number] }>;

/** Closes `connection` from `end` and resolves once the Switchboard end has reported its close. */
async function closeFrom(connection: Connection, end: Peer): Promise<void> {
  const closed = ourClose(connection.ours);
  end.close();
  await closed;
}

for (const pairing of PAIRINGS) {
  describe(`interop: ${pairing.name}`, () => {
    describe('messages of every length encoding, echoed', () => {
      let server: PairedServer;
      let connection: Connection;

      before(async () => {
        server = await pairing.start();
        echoMessages(server);
        connection = await server.connect();
      });
      after(async () => {
        connection.client.terminate();
        await server.close();
      });

      for (const size of SIZES) {
        test(`text of ${size} bytes`, async () => {
          const { client } = connection;
          const text = textOfBytes(size);
          const echoed = nextMessage(client);
          client.send(text);
          const { data, isBinary } = await echoed;
          assert.equal(isBinary, false);
          assert.equal(data.length, size);
          assert.ok(data.equals(Buffer.from(text)), 'the echoed text differs');
        });

        test(`binary of ${size} bytes`, async () => {
          const { client } = connection;
          const bytes = binaryOfBytes(size);
          const copy = Buffer.from(bytes);
          const echoed = nextMessage(client);
          client.send(bytes);
          const { data, isBinary } = await echoed;
          assert.equal(isBinary, true);
          assert.equal(data.length, size);
          assert.ok(data.equals(copy), 'the echoed bytes differ');
          assert.ok(bytes.equals(copy), 'masking must not alter the caller buffer');
        });
      }

      // Only a client gets the echoes, so this runs where Switchboard is the client.
      if (pairing.ours === 'client') {
        test('browser-style listeners get strings for text and honour binaryType', async () => {
          const client = connection.ours;
          const text = withTimeout(
            new Promise<unknown>((resolve) =>
              client.addEventListener('message', (event: MessageEvent) => resolve(event.data), { once: true }),
            ),
            'a browser-style text message',
          );
          client.send('plain text');
          assert.equal(await text, 'plain text');
          client.binaryType = 'arraybuffer';
          const binary = withTimeout(
            new Promise<unknown>((resolve) =>
              client.addEventListener('message', (event: MessageEvent) => resolve(event.data), { once: true }),
            ),
            'a browser-style binary message',
          );
          client.send(Uint8Array.of(1, 2, 3));
          const data = await binary;
          assert.ok(data instanceof ArrayBuffer);
          assert.deepEqual([...new Uint8Array(data)], [1, 2, 3]);
          client.binaryType = 'nodebuffer';
        });
      }
    });

    describe('fragmented messages', () => {
      let server: PairedServer;
      before(async () => {
        server = await pairing.start();
      });
      after(() => server.close());

      for (const sender of ['client', 'server'] as const) {
        const receiver = other(sender);
        const { text, cuts } = FRAGMENTED_TEXT[sender];

        test(`the ${sender} sends text in fin: false fragments, with a ping between them; the ${receiver} gets one message`, async () => {
          const connection = await server.connect();
          const received = nextMessage(connection[receiver]);
          const pinged = waitFor<[Buffer]>(connection[receiver], 'ping');
          const bytes = Buffer.from(text);
          // Only the first fragment says text: continuations carry no type (RFC 6455 §5.4).
          connection[sender].send(bytes.subarray(0, cuts[0]), { binary: false, fin: false });
          connection[sender].ping('between');
          connection[sender].send(bytes.subarray(cuts[0], cuts[1]), { fin: false });
          connection[sender].send(bytes.subarray(cuts[1]), { fin: true });
          assert.equal((await pinged)[0].toString(), 'between');
          const { data, isBinary } = await received;
          assert.equal(isBinary, false);
          assert.equal(data.toString(), text);
          await closeFrom(connection, connection.client);
        });

        test(`the ${sender} sends binary fragments, one of them empty; the ${receiver} gets one message`, async () => {
          const connection = await server.connect();
          const received = nextMessage(connection[receiver]);
          connection[sender].send(Buffer.from([1, 2]), { fin: false });
          connection[sender].send(Buffer.alloc(0), { fin: false });
          connection[sender].send(Buffer.from([3]), { fin: true });
          const { data, isBinary } = await received;
          assert.equal(isBinary, true);
          assert.deepEqual([...data], [1, 2, 3]);
          await closeFrom(connection, connection.client);
        });

        test(`the ${sender} sends a fragmented binary message of 3 MiB; the ${receiver} gets it whole`, async () => {
          const connection = await server.connect();
          const bytes = binaryOfBytes(3 * 1024 * 1024);
          const received = nextMessage(connection[receiver]);
          for (let i = 0; i < 3; i++)
            connection[sender].send(bytes.subarray(i << 20, (i + 1) << 20), { binary: true, fin: i === 2 });
          const { data, isBinary } = await received;
          assert.equal(isBinary, true);
          assert.ok(data.equals(bytes));
          await closeFrom(connection, connection.client);
        });
      }
    });

    describe('ping and pong', () => {
      let server: PairedServer;
      before(async () => {
        server = await pairing.start();
      });
      after(() => server.close());

      for (const payload of ['', 'hello', 'x'.repeat(125)]) {
        for (const pinger of ['client', 'server'] as const) {
          const ponger = other(pinger);
          test(`the ${pinger} pings with ${payload.length} bytes; the ${ponger} reports the ping and pongs the same payload`, async () => {
            const connection = await server.connect();
            const pinged = waitFor<[Buffer]>(connection[ponger], 'ping');
            const ponged = waitFor<[Buffer]>(connection[pinger], 'pong');
            connection[pinger].ping(payload);
            assert.equal((await pinged)[0].toString(), payload);
            assert.equal((await ponged)[0].toString(), payload);
            await closeFrom(connection, connection.client);
          });
        }
      }

      test('binary ping payloads from Switchboard come back byte for byte', async () => {
        const connection = await server.connect();
        const payload = Buffer.from([0, 0xff, 0x80, 0xc0]);
        const ponged = waitFor<[Buffer]>(connection.ours, 'pong');
        connection.ours.ping(payload);
        assert.deepEqual((await ponged)[0], payload);
        await closeFrom(connection, connection.theirs);
      });
    });

    describe('closing handshake', () => {
      let server: PairedServer;
      before(async () => {
        server = await pairing.start();
      });
      after(() => server.close());

      for (const code of VALID_CLOSE_CODES) {
        for (const closer of ['client', 'server'] as const) {
          test(`the ${closer} closes with ${code} and a reason; both ends report it, cleanly`, async () => {
            const connection = await server.connect();
            const ours = ourClose(connection.ours);
            const theirs = wsClose(connection.theirs);
            connection[closer].close(code, CLOSE_REASON);
            const [closerOutcome, receiverOutcome] = pairing.ours === closer ? [ours, theirs] : [theirs, ours];
            assert.deepEqual(await receiverOutcome, { code, reason: CLOSE_REASON, wasClean: true });
            // Each end reports the close frame it received: ws echoes the reason along with the code,
            // Switchboard echoes the code only (RFC 6455 §5.5.1).
            const echoedReason = pairing.ours === closer ? CLOSE_REASON : '';
            assert.deepEqual(await closerOutcome, { code, reason: echoedReason, wasClean: true });
          });
        }
      }

      test('a close with no code is reported as 1005 on both ends', async () => {
        const connection = await server.connect();
        const ours = ourClose(connection.ours);
        const theirs = wsClose(connection.theirs);
        connection.client.close();
        assert.deepEqual(await ours, { code: 1005, reason: '', wasClean: true });
        assert.deepEqual(await theirs, { code: 1005, reason: '', wasClean: true });
      });

      test('a 123-byte reason from Switchboard, the longest that fits, arrives whole and is echoed by ws', async () => {
        const reason = 'é'.repeat(61) + '!';
        const connection = await server.connect();
        const ours = ourClose(connection.ours);
        const theirs = wsClose(connection.theirs);
        connection.ours.close(4000, reason);
        assert.deepEqual(await theirs, { code: 4000, reason, wasClean: true });
        assert.deepEqual(await ours, { code: 4000, reason, wasClean: true });
      });

      test('ws terminating the TCP connection is reported as 1006, not clean', async () => {
        const connection = await server.connect();
        const ours = ourClose(connection.ours);
        connection.theirs.terminate();
        assert.deepEqual(await ours, { code: 1006, reason: '', wasClean: false });
      });
    });

    describe('maxPayload', () => {
      for (const receiver of ['server', 'client'] as const) {
        const limited = { maxPayload: 1000 };
        const options = pairing.ours === receiver ? { ours: limited } : { theirs: limited };

        test(`the ${receiver} accepts exactly maxPayload bytes and fails one more with 1009`, async () => {
          const { server, clientOptions } = await startPaired(pairing, options);
          try {
            const connection = await server.connect(clientOptions);
            const received = nextMessage(connection[receiver]);
            connection[other(receiver)].send(binaryOfBytes(1000));
            assert.equal((await received).data.length, 1000);
            await expectTooBig(pairing, connection, receiver, (sender) => sender.send(binaryOfBytes(1001)));
          } finally {
            await server.close();
          }
        });

        test(`the ${receiver}'s limit counts fragments together`, async () => {
          const { server, clientOptions } = await startPaired(pairing, options);
          try {
            const connection = await server.connect(clientOptions);
            await expectTooBig(pairing, connection, receiver, (sender) => {
              sender.send(binaryOfBytes(600), { fin: false });
              sender.send(binaryOfBytes(401), { fin: true });
            });
          } finally {
            await server.close();
          }
        });
      }
    });
  });
}
