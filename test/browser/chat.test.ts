import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { collectPageErrors, launchChromium, skipUnlessChromium } from '../helpers/browser.js';
import { startServe, type ServeProcess } from '../helpers/processes.js';

/** Set to a directory to keep screenshots of the page at each step, for a human to look at. */
const SCREENSHOT_DIR = process.env['SWITCHBOARD_SCREENSHOTS'];

/** Every byte value four times over: a binary payload any text re-encoding would damage. */
const ALL_BYTES = Buffer.from(Array.from({ length: 1024 }, (_, index) => index & 0xff));

interface Person {
  readonly context: BrowserContext;
  readonly page: Page;
  readonly errors: string[];
}

describe('chat demo in headless Chromium', { skip: skipUnlessChromium() }, () => {
  let serve: ServeProcess;
  let browser: Browser;
  let ada: Person;
  let bob: Person;

  async function open(): Promise<Person> {
    // One context per person: separate storage, as two different browsers would have.
    const context = await browser.newContext({ viewport: { width: 1100, height: 700 } });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    const errors = collectPageErrors(page);
    await page.goto(`${serve.url}chat/`);
    return { context, page, errors };
  }

  async function joinChat(person: Person, nick: string): Promise<void> {
    await person.page.getByLabel('Nickname').fill(nick);
    await person.page.getByRole('button', { name: 'Join' }).click();
    await person.page.getByRole('log').getByText(`You joined as ${nick}.`).waitFor();
  }

  async function users(person: Person): Promise<string[]> {
    return person.page.locator('#users li').allTextContents();
  }

  async function screenshot(person: Person, name: string): Promise<void> {
    if (SCREENSHOT_DIR === undefined) return;
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await person.page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`) });
  }

  before(async () => {
    serve = await startServe();
    browser = await launchChromium();
    ada = await open();
    bob = await open();
  });

  after(async () => {
    await browser?.close();
    serve?.kill();
  });

  test('the index links to the chat demo', async () => {
    const page = await ada.context.newPage();
    await page.goto(serve.url);
    await page.getByRole('link', { name: /Chat/ }).click();
    await page.waitForURL(`${serve.url}chat/`);
    assert.equal(await page.title(), 'Chat · Switchboard demo');
    await page.close();
  });

  test('two people join and each sees the other arrive in the log and the user list', async () => {
    await screenshot(ada, '1-join-form');
    await joinChat(ada, 'Ada');
    assert.deepEqual(await users(ada), ['Ada (you)']);
    assert.equal(await ada.page.getByRole('status').textContent(), 'Connected');
    await joinChat(bob, 'Bob');
    await ada.page.getByRole('log').getByText('Bob joined.').waitFor();
    await ada.page.locator('#user-count', { hasText: '2' }).waitFor();
    assert.deepEqual(await users(ada), ['Ada (you)', 'Bob']);
    assert.deepEqual(await users(bob), ['Ada', 'Bob (you)']);
  });

  test('a taken nickname is refused in the page and another can be picked', async () => {
    const carol = await open();
    await carol.page.getByLabel('Nickname').fill('ada');
    await carol.page.getByRole('button', { name: 'Join' }).click();
    await carol.page.locator('#join-error', { hasText: '“ada” is taken' }).waitFor();
    await joinChat(carol, 'Carol');
    await ada.page.getByRole('log').getByText('Carol joined.').waitFor();
    await carol.page.getByRole('button', { name: 'Leave' }).click();
    await ada.page.getByRole('log').getByText('Carol left.').waitFor();
    assert.deepEqual(carol.errors, []);
    await carol.context.close();
  });

  test('messages go both ways, with Enter and with the Send button', async () => {
    const adaBox = ada.page.getByLabel('Message', { exact: true });
    await adaBox.fill('Hello Bob <b>not bold</b>');
    await adaBox.press('Enter');
    const received = bob.page.locator('.message', { hasText: 'Hello Bob' });
    await received.waitFor();
    assert.equal(await received.locator('.from').textContent(), 'Ada');
    // Text is shown as text: markup from another person never becomes elements.
    assert.equal(await received.locator('.body').textContent(), 'Hello Bob <b>not bold</b>');
    assert.equal(await received.locator('.body b').count(), 0);
    // The sender's own copy comes back too, marked as its own.
    await ada.page.locator('.message.own', { hasText: 'Hello Bob' }).waitFor();

    await bob.page.getByLabel('Message', { exact: true }).fill('Hi Ada,\nsecond line');
    await bob.page.getByRole('button', { name: 'Send' }).click();
    const reply = ada.page.locator('.message', { hasText: 'Hi Ada,' });
    await reply.waitFor();
    assert.equal(await reply.locator('.body').textContent(), 'Hi Ada,\nsecond line');
    assert.equal(await ada.page.getByLabel('Message', { exact: true }).inputValue(), '');
  });

  test('a shared file travels as binary and arrives byte for byte on both pages', async () => {
    await ada.page
      .locator('#file')
      .setInputFiles({ name: 'all-bytes.bin', mimeType: 'application/octet-stream', buffer: ALL_BYTES });
    for (const person of [bob, ada]) {
      const link = person.page.getByRole('link', { name: 'all-bytes.bin (1.0 KiB)' });
      await link.waitFor();
      // Saving it is what a person would do with it; the saved bytes are the relayed ones.
      const [download] = await Promise.all([person.page.waitForEvent('download'), link.click()]);
      assert.equal(download.suggestedFilename(), 'all-bytes.bin');
      assert.ok(readFileSync(await download.path()).equals(ALL_BYTES));
    }
  });

  test('a shared image is shown inline with a description', async () => {
    const png = await ada.page.screenshot({ clip: { x: 0, y: 0, width: 120, height: 40 } });
    await ada.page.locator('#file').setInputFiles({ name: 'header.png', mimeType: 'image/png', buffer: png });
    const image = bob.page.getByRole('img', { name: 'Image shared by Ada: header.png' });
    await image.waitFor();
    // The bytes decode as the PNG they were: 120 pixels wide, like the clip taken above.
    const width = await image.evaluate((img: { decode(): Promise<void>; naturalWidth: number }) =>
      img.decode().then(() => img.naturalWidth),
    );
    assert.equal(width, 120);
    await screenshot(bob, '2-conversation');
  });

  test('the browser WebSocket round-trips binary as an ArrayBuffer and closes cleanly with 1000', async () => {
    const result = await bob.page.evaluate(
      async (payload) =>
        new Promise<{ echoed: number[]; type: string; closeCode: number; wasClean: boolean; nick: string }>(
          (resolve, reject) => {
            // The test's type library has no DOM; the page's location is a URL in all that matters here.
            const { location } = globalThis as unknown as { location: URL };
            const url = new URL('/chat', location.href);
            url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
            const socket = new WebSocket(url);
            socket.binaryType = 'arraybuffer';
            let nick = '';
            let echoed: number[] = [];
            let type = '';
            setTimeout(() => reject(new Error('no round trip within 5 s')), 5000);
            socket.onopen = () => socket.send(JSON.stringify({ type: 'join', nick: 'Probe' }));
            socket.onmessage = (event) => {
              if (typeof event.data === 'string') {
                const message = JSON.parse(event.data) as { type: string; nick?: string };
                if (message.type !== 'welcome') return;
                nick = message.nick!;
                const header = new TextEncoder().encode(JSON.stringify({ name: 'probe.bin', type: '' }));
                const frame = new Uint8Array(2 + header.length + payload.length);
                new DataView(frame.buffer).setUint16(0, header.length);
                frame.set(header, 2);
                frame.set(payload, 2 + header.length);
                socket.send(frame);
                return;
              }
              type = Object.prototype.toString.call(event.data);
              const view = new DataView(event.data as ArrayBuffer);
              echoed = [...new Uint8Array(event.data as ArrayBuffer, 2 + view.getUint16(0))];
              socket.close(1000, 'done');
            };
            socket.onclose = (event) =>
              resolve({ echoed, type, closeCode: event.code, wasClean: event.wasClean, nick });
          },
        ),
      [...ALL_BYTES],
    );
    assert.equal(result.nick, 'Probe');
    assert.equal(result.type, '[object ArrayBuffer]');
    assert.deepEqual(result.echoed, [...ALL_BYTES]);
    assert.equal(result.closeCode, 1000);
    assert.equal(result.wasClean, true);
  });

  test('leaving closes cleanly with 1000, shown in the page and announced to the others', async () => {
    await ada.page.getByRole('log').getByText('Probe left.').waitFor();
    await bob.page.getByRole('button', { name: 'Leave' }).click();
    await bob.page.getByRole('status').getByText('Left the chat (close code 1000, clean)').waitFor();
    assert.equal(await bob.page.getByLabel('Nickname').isVisible(), true);
    await ada.page.getByRole('log').getByText('Bob left.').waitFor();
    await ada.page.locator('#user-count', { hasText: '1' }).waitFor();
    assert.deepEqual(await users(ada), ['Ada (you)']);
  });

  test('stopping the server closes the page with 1001 (Going Away)', async () => {
    const exit = await serve.stop('SIGTERM', 10_000);
    assert.equal(exit.code, 0);
    await ada.page
      .getByRole('status')
      .getByText('Disconnected (close code 1001, clean: server shutting down)')
      .waitFor();
    await screenshot(ada, '3-server-stopped');
  });

  test('no page logged an error (a blocked script, a CSP violation, an exception)', () => {
    assert.deepEqual(ada.errors, []);
    assert.deepEqual(bob.errors, []);
  });
});
