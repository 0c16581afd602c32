import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { WebSocket, WebSocketServer, type PerMessageDeflateOptions } from '../../src/ws/index.js';
import { collectPageErrors, launchChromium, skipUnlessChromium } from '../helpers/browser.js';
import { waitFor } from '../helpers/wait.js';
import { withServer } from '../helpers/with-server.js';

// Chromium's own WebSocket against our server with permessage-deflate (RFC 7692): it must
// negotiate the extension and exchange text and binary, compressed both ways.

const PAGE = '<!doctype html><meta charset="utf-8"><title>deflate</title><p>deflate test page</p>';

/**
 * Runs in the page: opens a WebSocket to the page's own server, sends a long text and a binary
 * message, and reports what came back. A string, so the test needs no DOM typings.
 */
const EXCHANGE = `(async () => {
  const ws = new WebSocket('ws://' + location.host + '/echo');
  ws.binaryType = 'arraybuffer';
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = () => reject(new Error('socket error')); });
  const replies = [];
  const done = new Promise((resolve) => {
    ws.onmessage = (event) => {
      replies.push(event.data);
      if (replies.length === 3) resolve();
    };
  });
  const text = Array.from({ length: 4000 }, (_, i) => 'message ' + (i % 97) + ' é€𝄞 ').join('');
  const bytes = new Uint8Array(20000).map((_, i) => (i % 251) & (i >> 3));
  ws.send(text);
  ws.send(bytes.buffer);
  ws.send('short');
  await done;
  const echoedBytes = replies[1] instanceof ArrayBuffer ? new Uint8Array(replies[1]) : new Uint8Array(0);
  ws.close(1000);
  return {
    extensions: ws.extensions,
    textLength: new TextEncoder().encode(text).length,
    textEchoed: replies[0] === text,
    bytesEchoed: echoedBytes.length === bytes.length && echoedBytes.every((value, i) => value === bytes[i]),
    shortEchoed: replies[2] === 'short',
  };
})()`;

/** The binary message the page sends, as the page computes it. */
const PAGE_BYTES = Buffer.from(Array.from({ length: 20000 }, (_, i) => (i % 251) & (i >> 3)));

interface ExchangeResult {
  readonly extensions: string;
  readonly textLength: number;
  readonly textEchoed: boolean;
  readonly bytesEchoed: boolean;
  readonly shortEchoed: boolean;
}

/** An http server serving {@link PAGE}, with a `WebSocketServer` on `/echo`, listening on 127.0.0.1. */
async function startPageServer(options: PerMessageDeflateOptions): Promise<{
  readonly wss: WebSocketServer;
  readonly port: number;
  close(): Promise<void>;
}> {
  const httpServer = http.createServer((_request, response) => {
    response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    response.end(PAGE);
  });
  const wss = new WebSocketServer({ server: httpServer, path: '/echo', perMessageDeflate: options });
  httpServer.listen(0, '127.0.0.1');
  await waitFor(httpServer, 'listening');
  const { port } = httpServer.address() as AddressInfo;
  return {
    wss,
    port,
    async close() {
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}

describe('permessage-deflate with headless Chromium', { skip: skipUnlessChromium() }, () => {
  let browser: Browser;

  before(async () => {
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
  });

  const configurations: [string, PerMessageDeflateOptions][] = [
    ['defaults', { threshold: 0 }],
    [
      'no context takeover, small windows',
      {
        threshold: 0,
        serverNoContextTakeover: true,
        clientNoContextTakeover: true,
        serverMaxWindowBits: 9,
        clientMaxWindowBits: 8,
      },
    ],
  ];
  for (const [name, options] of configurations) {
    test(`negotiates and exchanges text and binary (${name})`, async () => {
      await withServer(
        () => startPageServer(options),
        async ({ wss, port }) => {
          const received: { compressedBytes: number; data: Buffer }[] = [];
          let serverExtensions = '';
          wss.on('connection', (socket: WebSocket, request: http.IncomingMessage) => {
            serverExtensions = socket.extensions;
            socket.on('message', (data: Buffer, isBinary: boolean) => {
              received.push({ compressedBytes: request.socket.bytesRead, data: Buffer.from(data) });
              socket.send(data, { binary: isBinary });
            });
          });

          const page = await browser.newPage();
          const errors = collectPageErrors(page);
          await page.goto(`http://127.0.0.1:${port}/`);
          const result = (await page.evaluate(EXCHANGE)) as ExchangeResult;
          await page.close();

          assert.match(result.extensions, /^permessage-deflate/);
          assert.equal(result.extensions, serverExtensions);
          assert.deepEqual([result.textEchoed, result.bytesEchoed, result.shortEchoed], [true, true, true]);
          assert.equal(received.length, 3);
          assert.ok(received[1]!.data.equals(PAGE_BYTES));
          // The browser compressed too: the long text took far fewer bytes on the wire than its length.
          assert.equal(received[0]!.data.length, result.textLength);
          assert.ok(
            received[0]!.compressedBytes < result.textLength / 4,
            `read ${received[0]!.compressedBytes} bytes for ${result.textLength}`,
          );
          assert.deepEqual(errors, []);
        },
      );
    });
  }
});
