import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { startDemoServer, type DemoServer } from '../../src/cli/demo-server.js';
import { launchChromium, skipUnlessChromium } from '../helpers/browser.js';
import { buildClientBundle } from '../helpers/client-bundle.js';
import { until } from '../helpers/wait.js';
import { connectAs, openPage, screenshot, type OpenOptions, type Person } from './app-pages.js';

describe('Rooms demo in headless Chromium', { skip: skipUnlessChromium() }, () => {
  let server: DemoServer;
  let browser: Browser;
  const people: Person[] = [];

  async function open(name: string, options?: OpenOptions): Promise<Person> {
    const person = await openPage(browser, `${server.url}rooms/`, options);
    people.push(person);
    await connectAs(person, name, 'Connect');
    await person.page
      .getByRole('status')
      .getByText(/^Connected · /)
      .waitFor();
    return person;
  }

  async function enter(person: Person, room: string): Promise<void> {
    await person.page.getByRole('button', { name: new RegExp(`^${room}\\s*\\d+$`) }).click();
    await person.page.getByRole('heading', { name: `# ${room}` }).waitFor();
  }

  async function say(person: Person, text: string): Promise<void> {
    const box = person.page.getByLabel('Message', { exact: true });
    await box.fill(text);
    await box.press('Enter');
  }

  function messages(person: Person) {
    return person.page.getByRole('log').locator('.message');
  }

  /** Message ids the log shows, in order; a duplicate would show twice. */
  function shownIds(person: Person): Promise<string[]> {
    return messages(person).evaluateAll((items) =>
      items.map((item) => (item as unknown as { dataset: { id: string } }).dataset.id),
    );
  }

  before(async () => {
    await buildClientBundle();
    server = await startDemoServer({ port: 0 });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('the index lists the Rooms demo', async () => {
    const person = await openPage(browser, server.url);
    await person.page.getByRole('link', { name: /Rooms/ }).click();
    await person.page.waitForURL(`${server.url}rooms/`);
    assert.equal(await person.page.title(), 'Rooms · Switchboard demo');
    await person.context.close();
  });

  test('two people in a room: presence, notices, messages with ticks, typing, history for a late joiner', async () => {
    const ada = await open('Ada');
    const bob = await open('Bob');
    await screenshot(ada, 'rooms-1-lobby');
    // In no room yet: nothing to write to.
    assert.equal(await ada.page.getByLabel('Message', { exact: true }).isVisible(), false);
    await enter(ada, 'general');
    await enter(bob, 'general');
    await ada.page.getByRole('log').getByText('Bob joined').waitFor();
    await until(
      async () => (await ada.page.locator('#members li').allTextContents()).join() === 'Ada (you),Bob',
      5000,
      'Ada to see Bob in the room',
    );
    assert.deepEqual(await bob.page.locator('#members li').allTextContents(), ['Ada', 'Bob (you)']);

    await ada.page.getByLabel('Message', { exact: true }).pressSequentially('Hel');
    await bob.page.getByText('Ada is typing…').waitFor();
    await ada.page.getByLabel('Message', { exact: true }).fill('Hello Bob <b>not bold</b>');
    await ada.page.getByLabel('Message', { exact: true }).press('Enter');
    const own = messages(ada).filter({ hasText: 'Hello Bob' });
    await own.locator('.tick[data-state="sent"]').waitFor();
    assert.equal(await own.locator('.tick').textContent(), '✓');
    const received = messages(bob).filter({ hasText: 'Hello Bob' });
    await received.waitFor();
    assert.equal(await received.locator('.body').textContent(), 'Hello Bob <b>not bold</b>');
    assert.equal(await received.locator('.body b').count(), 0);
    // The message ended Ada's typing.
    await bob.page.locator('#typing:empty').waitFor();

    await say(bob, 'Hi Ada');
    await messages(ada).filter({ hasText: 'Hi Ada' }).waitFor();
    await screenshot(ada, 'rooms-2-conversation');

    // Someone arriving later gets the room's history, notices included.
    const carol = await open('Carol');
    await enter(carol, 'general');
    await messages(carol).filter({ hasText: 'Hello Bob' }).waitFor();
    await messages(carol).filter({ hasText: 'Hi Ada' }).waitFor();
    await carol.page.getByRole('log').getByText('Bob joined').waitFor();
    await ada.page.getByRole('log').getByText('Carol joined').waitFor();

    // A room of their own: created by joining it, listed for everyone, gone with its last member.
    await carol.page.getByLabel('New room').fill('music');
    await carol.page.getByRole('button', { name: 'Create' }).click();
    await carol.page.getByRole('heading', { name: '# music' }).waitFor();
    await ada.page.getByRole('button', { name: /^music\s*1$/ }).waitFor();
    await ada.page.getByRole('log').getByText('Carol left').waitFor();
    await carol.page.getByRole('button', { name: 'Leave' }).click();
    await ada.page.getByRole('button', { name: /^music/ }).waitFor({ state: 'detached' });
    await carol.page.getByText('Pick a room on the left, or create one.').waitFor();
    assert.equal(await carol.page.getByLabel('Message', { exact: true }).isVisible(), false);
    await screenshot(carol, 'rooms-3-lobby-after-leave');
  });

  test('with WebSocket blocked the page keeps to long-polling and still chats', async () => {
    const dora = await open('Dora', { blockWebSocket: true });
    const eve = await open('Eve');
    await enter(dora, 'random');
    await enter(eve, 'random');
    await say(eve, 'can you hear me?');
    await messages(dora).filter({ hasText: 'can you hear me?' }).waitFor();
    await say(dora, 'loud and clear');
    await messages(dora).filter({ hasText: 'loud and clear' }).locator('.tick[data-state="sent"]').waitFor();
    await messages(eve).filter({ hasText: 'loud and clear' }).waitFor();
    // Every upgrade attempt failed, so Dora is still on polling.
    assert.equal(await dora.page.getByRole('status').textContent(), 'Connected · polling');
    await screenshot(dora, 'rooms-4-polling');
  });

  test('a network drop loses nothing and duplicates nothing', async () => {
    const finn = await open('Finn');
    const gus = await open('Gus');
    await enter(finn, 'general');
    await enter(gus, 'general');
    await say(gus, 'before the drop');
    await messages(finn).filter({ hasText: 'before the drop' }).waitFor();

    await finn.context.setOffline(true);
    await finn.page
      .getByRole('status')
      .getByText(/Reconnecting/)
      .waitFor({ timeout: 60_000 });
    await say(gus, 'while Finn is away 1');
    await say(gus, 'while Finn is away 2');
    // Typed while offline: shown at once, waiting for its acknowledgement.
    await say(finn, 'sent from the tunnel');
    await messages(finn).filter({ hasText: 'sent from the tunnel' }).locator('.tick[data-state="pending"]').waitFor();
    await screenshot(finn, 'rooms-5-offline');
    await finn.context.setOffline(false);

    await messages(finn)
      .filter({ hasText: 'sent from the tunnel' })
      .locator('.tick[data-state="sent"]')
      .waitFor({ timeout: 30_000 });
    await messages(finn).filter({ hasText: 'while Finn is away 2' }).waitFor({ timeout: 30_000 });
    await messages(gus).filter({ hasText: 'sent from the tunnel' }).waitFor();
    await screenshot(finn, 'rooms-6-back');

    const texts = await messages(finn).locator('.body').allTextContents();
    const tail = texts.filter((text) => /drop|away|tunnel/.test(text));
    assert.deepEqual(tail.sort(), [
      'before the drop',
      'sent from the tunnel',
      'while Finn is away 1',
      'while Finn is away 2',
    ]);
    for (const person of [finn, gus]) {
      const ids = await shownIds(person);
      assert.equal(new Set(ids).size, ids.length, `no message shows twice: ${ids.join()}`);
    }
    const gusTexts = await messages(gus).locator('.body').allTextContents();
    assert.equal(gusTexts.filter((text) => text === 'sent from the tunnel').length, 1);
  });

  test('no page logged an error (a blocked script, a CSP violation, an exception)', () => {
    // Besides what Chromium logs of the failures the test caused on purpose: the refusals of the
    // WebSocket it blocked, and the reconnection attempts made while it held a page offline.
    for (const person of people) {
      assert.deepEqual(
        person.errors.filter((error) => !/\/websocket-blocked' failed|net::ERR_INTERNET_DISCONNECTED/.test(error)),
        [],
      );
    }
  });
});
