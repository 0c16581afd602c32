/**
 * The client's handshake failures in `ws`'s words (its checks of the server's answer, one by one),
 * and `ws`'s forms of the constructor's `protocols` argument.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { describe, it } from 'node:test';
import { computeAcceptKey } from '../../src/protocol/index.js';
import { ErrorCode, WebSocket, WebSocketError, type WebSocketOptions } from '../../src/ws/index.js';
import { until, waitFor } from '../helpers/wait.js';

/**
 * An HTTP server answering every upgrade with `answer(acceptKey, request)`: the raw response head
 * after the status line, or `undefined` to leave the request unanswered.
 */
async function answering(
  answer: (accept: string, request: http.IncomingMessage) => string | undefined,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer();
  const sockets = new Set<Duplex>();
  server.on('upgrade', (request: http.IncomingMessage, socket: Duplex) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    const head = answer(computeAcceptKey(request.headers['sec-websocket-key']!), request);
    if (head !== undefined) socket.end(`${head}\r\n`);
  });
  server.listen(0, '127.0.0.1');
  await waitFor(server, 'listening');
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A 101 answer with `extra` header lines and a right accept key unless `accept` is given. */
function switching(accept: string, extra: string[] = [], upgrade = 'websocket'): string {
  return [
    'HTTP/1.1 101 Switching Protocols',
    `Upgrade: ${upgrade}`,
    'Connection: Upgrade',
    `Sec-WebSocket-Accept: ${accept}`,
    ...extra,
    '',
  ].join('\r\n');
}

/** The error a client gets from `head`, checked to come with a 1006 close and no `'open'`. */
async function failureOf(
  head: (accept: string) => string | undefined,
  protocols: string[] = [],
  options: WebSocketOptions = {},
): Promise<Error> {
  const server = await answering(head);
  const client = new WebSocket(server.url, protocols, options);
  try {
    client.on('open', () => assert.fail('the handshake must fail'));
    let closeCode: number | undefined;
    client.once('close', (code) => (closeCode = code));
    const [error] = await waitFor<[Error]>(client, 'error');
    await until(() => closeCode !== undefined, 3000, "'close'");
    assert.equal(closeCode, 1006);
    return error;
  } finally {
    client.terminate();
    await server.close();
  }
}

describe("client handshake failures, in ws's words", () => {
  const cases: [string, (accept: string) => string | undefined, string, string[]?, WebSocketOptions?][] = [
    ['an Upgrade header that is not websocket', (accept) => switching(accept, [], 'foo'), 'Invalid Upgrade header'],
    ['a wrong Sec-WebSocket-Accept', () => switching('c29tZSBvdGhlciBrZXk='), 'Invalid Sec-WebSocket-Accept header'],
    [
      'a subprotocol when none was asked for',
      (accept) => switching(accept, ['Sec-WebSocket-Protocol: chat']),
      'Server sent a subprotocol but none was requested',
    ],
    [
      'a subprotocol that was not asked for',
      (accept) => switching(accept, ['Sec-WebSocket-Protocol: other']),
      'Server sent an invalid subprotocol',
      ['chat'],
    ],
    ['no subprotocol when some were asked for', (accept) => switching(accept), 'Server sent no subprotocol', ['chat']],
    [
      'an extension header when compression is off',
      (accept) => switching(accept, ['Sec-WebSocket-Extensions: foo']),
      'Server sent a Sec-WebSocket-Extensions header but no extension was requested',
      [],
      { perMessageDeflate: false },
    ],
    [
      'a malformed extension header',
      (accept) => switching(accept, ['Sec-WebSocket-Extensions: foo;=']),
      'Invalid Sec-WebSocket-Extensions header',
    ],
    [
      'a permessage-deflate answer RFC 7692 forbids',
      (accept) => switching(accept, ['Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=7']),
      'Invalid Sec-WebSocket-Extensions header',
    ],
    [
      'an extension that was not offered',
      (accept) => switching(accept, ['Sec-WebSocket-Extensions: foo']),
      'Server indicated an extension that was not requested',
    ],
    [
      'an extension that was not offered beside one that was',
      (accept) => switching(accept, ['Sec-WebSocket-Extensions: permessage-deflate, foo']),
      'Server indicated an extension that was not requested',
    ],
    [
      'a status other than 101',
      () => 'HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n',
      'Unexpected server response: 401',
    ],
    [
      'no answer within handshakeTimeout',
      () => undefined,
      'Opening handshake has timed out',
      [],
      { handshakeTimeout: 100 },
    ],
  ];
  for (const [name, head, message, protocols, options] of cases) {
    it(`${name}: "${message}"`, async () => {
      const error = await failureOf(head, protocols, options);
      assert.ok(error instanceof WebSocketError);
      assert.equal(error.message, message);
    });
  }

  it("keeps our stable codes beside ws's messages, and the reason of a refused extension answer in the cause", async () => {
    const refused = (await failureOf((accept) =>
      switching(accept, ['Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=7']),
    )) as WebSocketError;
    assert.equal(refused.code, ErrorCode.BadExtension);
    assert.match(String((refused.cause as Error).message), /client_max_window_bits/);
    const timedOut = (await failureOf(() => undefined, [], { handshakeTimeout: 100 })) as WebSocketError;
    assert.equal(timedOut.code, ErrorCode.HandshakeTimeout);
  });
});

describe("the protocols argument, in ws's forms", () => {
  /** The Sec-WebSocket-Protocol a server receives from `new WebSocket(url, ...args)`. */
  async function offered(...args: unknown[]): Promise<string | undefined> {
    let header: string | undefined;
    const server = await answering((_accept, request) => {
      header = request.headers['sec-websocket-protocol'];
      return 'HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n';
    });
    const Constructor = WebSocket as unknown as new (...rest: unknown[]) => WebSocket;
    const client = new Constructor(server.url, ...args);
    let closed = false;
    client.on('error', () => undefined);
    client.once('close', () => (closed = true));
    try {
      await until(() => closed, 3000, "'close'");
      return header;
    } finally {
      client.terminate();
      await server.close();
    }
  }

  it('undefined in second place leaves the options in third, with their protocols', async () => {
    assert.equal(await offered(undefined, { protocols: ['a', 'b'] }), 'a, b');
    assert.equal(await offered(undefined, { protocols: 'solo' }), 'solo');
    assert.equal(await offered(undefined, { headers: { 'x-a': '1' } }), undefined);
  });

  it('an object in second place is the options; a string or an array the subprotocols', async () => {
    assert.equal(await offered({ protocols: 'from-options' }), 'from-options');
    assert.equal(await offered('one'), 'one');
    assert.equal(await offered(['one', 'two'], {}), 'one, two');
  });

  it('null, a number or a non-string in the list is an invalid subprotocol (SyntaxError), as in ws', () => {
    const Constructor = WebSocket as unknown as new (...rest: unknown[]) => WebSocket;
    for (const protocols of [null, 42, [null], ['ok', 7], ['dup', 'dup']]) {
      assert.throws(() => new Constructor('ws://127.0.0.1:9', protocols), {
        name: 'SyntaxError',
        message: 'An invalid or duplicated subprotocol was specified',
      });
    }
    assert.throws(() => new Constructor('ws://127.0.0.1:9', undefined, { protocols: [null] }), { name: 'SyntaxError' });
  });
});
