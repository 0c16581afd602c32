import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { PerMessageDeflateOptions as WsDeflateOptions, WebSocket as WsWebSocket } from 'ws';
import { parseExtensionList } from '../../src/protocol/index.js';
import { WebSocket } from '../../src/ws/index.js';
import { textLike } from '../helpers/deflate.js';
import { startServer } from '../helpers/ws-peers.js';
import {
  binaryOfBytes,
  nextMessage,
  openOurClient,
  openWsClient,
  ourClose,
  startWsServer,
  textOfBytes,
  wsClose,
} from './interop-shared.js';
import { withServer } from '../helpers/with-server.js';

// RFC 7692 between Switchboard and `ws` in both roles, for every combination of the four
// negotiation parameters both libraries configure under the same names.

type Combination = Pick<
  WsDeflateOptions,
  'serverNoContextTakeover' | 'clientNoContextTakeover' | 'serverMaxWindowBits' | 'clientMaxWindowBits'
>;

const BITS = [undefined, 8, 9, 11, 15] as const;

function combinations(): Combination[] {
  const out: Combination[] = [];
  for (const serverNoContextTakeover of [false, true]) {
    for (const clientNoContextTakeover of [false, true]) {
      for (const serverMaxWindowBits of BITS) {
        for (const clientMaxWindowBits of BITS) {
          const options: Combination = { serverNoContextTakeover, clientNoContextTakeover };
          if (serverMaxWindowBits !== undefined) options.serverMaxWindowBits = serverMaxWindowBits;
          if (clientMaxWindowBits !== undefined) options.clientMaxWindowBits = clientMaxWindowBits;
          out.push(options);
        }
      }
    }
  }
  return out;
}

/**
 * Checks the parameters our end reports (the response it sent, or the one it accepted) against
 * what both ends were configured with; `ws` names only the extension, not its parameters.
 */
function assertHonoured(ours: string, theirs: string, combination: Combination): void {
  const elements = parseExtensionList(ours);
  assert.ok(elements && elements.length === 1 && elements[0]!.name === 'permessage-deflate', `negotiated "${ours}"`);
  assert.equal(theirs, 'permessage-deflate');
  const params = new Map(elements[0]!.params.map((p) => [p.name, p.value]));
  const label = JSON.stringify(combination);
  // RFC 7692 §7.1.1.1, §7.1.2.1: what the client asked of the server is answered.
  assert.equal(params.has('server_no_context_takeover'), combination.serverNoContextTakeover === true, label);
  if (combination.serverMaxWindowBits !== undefined)
    assert.equal(params.get('server_max_window_bits'), String(combination.serverMaxWindowBits), label);
  if (combination.clientNoContextTakeover === true) assert.ok(params.has('client_no_context_takeover'), label);
}

/**
 * Sends messages that each need the agreed window: repeats at short and long distances within a
 * message and across messages (context takeover), as text and binary, in one piece and in fragments;
 * expects each echoed back intact, in order.
 */
async function exchange(sender: WebSocket | WsWebSocket): Promise<void> {
  const messages: (string | Buffer)[] = [
    '',
    textOfBytes(1),
    textLike(3000, 1).toString('latin1'),
    Buffer.concat([textLike(600, 2), randomBytes(2000), textLike(600, 2)]),
    textLike(3000, 1).toString('latin1'),
    binaryOfBytes(70_000),
  ];
  for (const message of messages) {
    const echoed = nextMessage(sender);
    sender.send(message);
    const { data, isBinary } = await echoed;
    assert.equal(isBinary, typeof message !== 'string');
    assert.ok(data.equals(Buffer.from(message)), `message of ${data.length} bytes`);
  }
  // RFC 7692 §6.1: one message compressed as one stream across its fragments.
  const parts = [textLike(2000, 3), textLike(10, 4), textLike(5000, 5)];
  const echoed = nextMessage(sender);
  parts.forEach((part, i) => sender.send(part, { binary: true, fin: i === parts.length - 1 }));
  assert.ok((await echoed).data.equals(Buffer.concat(parts)));
}

describe('permessage-deflate interop with ws: every parameter combination', () => {
  it('ws clients against our server', async () => {
    for (const combination of combinations()) {
      await withServer(
        () => startServer({ perMessageDeflate: { ...combination, threshold: 0 } }),
        async (server) => {
          server.wss.on('connection', (socket) =>
            socket.on('message', (data: Buffer, isBinary: boolean) => socket.send(data, { binary: isBinary })),
          );
          const client = await openWsClient(server.url, { perMessageDeflate: { ...combination, threshold: 0 } });
          const [serverSocket] = server.wss.clients;
          assertHonoured(serverSocket!.extensions, client.extensions, combination);
          await exchange(client);
          const closed = wsClose(client);
          client.close(1000);
          assert.equal((await closed).code, 1000);
        },
      );
    }
  });

  it('our clients against a ws server', async () => {
    for (const combination of combinations()) {
      await withServer(
        () => startWsServer({ perMessageDeflate: { ...combination, threshold: 0 } }),
        async (server) => {
          server.wss.on('connection', (socket) =>
            socket.on('message', (data, isBinary) => socket.send(data as Buffer, { binary: isBinary })),
          );
          const client = await openOurClient(
            new WebSocket(server.url, { perMessageDeflate: { ...combination, threshold: 0 } }),
          );
          const [serverSocket] = server.wss.clients;
          assertHonoured(client.extensions, serverSocket!.extensions, combination);
          await exchange(client);
          const closed = ourClose(client);
          client.close(1000);
          assert.equal((await closed).code, 1000);
        },
      );
    }
  });
});

describe('permessage-deflate interop with ws: sizes and the wire', () => {
  // Up to 16 MiB: the largest compressible, in one piece; incompressible data in four fragments.
  const large = textLike(16 * 1024 * 1024, 6);
  const random = randomBytes(2 * 1024 * 1024);

  async function sendLarge(sender: WebSocket | WsWebSocket): Promise<void> {
    let echoed = nextMessage(sender, 30_000);
    sender.send(large);
    assert.ok((await echoed).data.equals(large));
    echoed = nextMessage(sender, 30_000);
    const quarter = random.length / 4;
    for (let i = 0; i < 4; i++) sender.send(random.subarray(i * quarter, (i + 1) * quarter), { fin: i === 3 });
    assert.ok((await echoed).data.equals(random));
  }

  it('echoes messages up to 16 MiB through our server', async () => {
    await withServer(
      () => startServer({ perMessageDeflate: true }),
      async (server) => {
        server.wss.on('connection', (socket) =>
          socket.on('message', (data: Buffer, isBinary: boolean) => socket.send(data, { binary: isBinary })),
        );
        // ws compresses at zlib's default level unless told; level 1 keeps this test quick.
        const client = await openWsClient(server.url, { perMessageDeflate: { zlibDeflateOptions: { level: 1 } } });
        await sendLarge(client);
        client.terminate();
      },
    );
  });

  it('echoes messages up to 16 MiB through a ws server', async () => {
    await withServer(
      () => startWsServer({ perMessageDeflate: { zlibDeflateOptions: { level: 1 } } }),
      async (server) => {
        server.wss.on('connection', (socket) =>
          socket.on('message', (data, isBinary) => socket.send(data as Buffer, { binary: isBinary })),
        );
        const client = await openOurClient(new WebSocket(server.url));
        await sendLarge(client);
        client.terminate();
      },
    );
  });

  it('really compresses on the wire, both ways', async () => {
    const message = textLike(1024 * 1024, 8);
    await withServer(
      () => startServer({ perMessageDeflate: true }),
      async (server) => {
        let wire: { bytesRead: number; bytesWritten: number } | undefined;
        server.wss.on('connection', (socket, request) => {
          wire = request.socket;
          socket.on('message', (data: Buffer, isBinary: boolean) => socket.send(data, { binary: isBinary }));
        });
        const client = await openOurClient(new WebSocket(server.url));
        const echoed = nextMessage(client);
        client.send(message);
        assert.ok((await echoed).data.equals(message));
        // Both directions carried far less than the 1 MiB message.
        assert.ok(wire!.bytesRead < 300 * 1024, `server read ${wire!.bytesRead} bytes`);
        assert.ok(wire!.bytesWritten < 300 * 1024, `server wrote ${wire!.bytesWritten} bytes`);
        client.terminate();
      },
    );
  });
});
