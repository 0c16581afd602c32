import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { CATALOG } from '../../src/cli/apps/jukebox/catalog.js';
import { startDemoServer, type DemoServer } from '../../src/cli/demo-server.js';
import { launchChromium, skipUnlessChromium } from '../helpers/browser.js';
import { buildClientBundle } from '../helpers/client-bundle.js';
import { until } from '../helpers/wait.js';
import { connectAs, openPage, screenshot, type Person } from './app-pages.js';

/** Long enough to act on a track, short enough to watch one end. */
const TRACK_LENGTH = 10_000;

describe('Jukebox demo in headless Chromium', { skip: skipUnlessChromium() }, () => {
  let server: DemoServer;
  let browser: Browser;
  const people: Person[] = [];

  async function open(name: string): Promise<Person> {
    const person = await openPage(browser, `${server.url}jukebox/`);
    people.push(person);
    await connectAs(person, name, 'Listen');
    await person.page.getByRole('status').getByText('Listening').waitFor();
    await person.page.locator('#listeners li', { hasText: `${name} (you)` }).waitFor();
    return person;
  }

  function notices(person: Person) {
    return person.page.getByRole('log');
  }

  function title(person: Person): Promise<string | null> {
    return person.page.locator('#track-title').textContent();
  }

  before(async () => {
    await buildClientBundle();
    server = await startDemoServer({ port: 0, apps: { jukebox: { trackLength: TRACK_LENGTH, tickInterval: 500 } } });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('the index lists the Jukebox demo', async () => {
    const person = await openPage(browser, server.url);
    await person.page.getByRole('link', { name: /Jukebox/ }).click();
    await person.page.waitForURL(`${server.url}jukebox/`);
    assert.equal(await person.page.title(), 'Jukebox · Switchboard demo');
    await person.context.close();
  });

  test('likes, requests and skip votes reach every listener at once; a late joiner sees the state', async () => {
    const ada = await open('Ada');
    const bob = await open('Bob');
    await ada.page.locator('#listeners li').nth(1).waitFor();
    assert.deepEqual(await ada.page.locator('#listeners li').allTextContents(), ['Ada (you)', 'Bob']);

    // The bar moves on its own between the server's updates.
    const before = Number(await ada.page.locator('#progress').getAttribute('value'));
    await until(
      async () =>
        Number(await ada.page.locator('#progress').evaluate((bar) => (bar as unknown as { value: number }).value)) >
        before + 300,
      3000,
      'the progress bar to move',
    );

    // Acting on the track playing: wait for a fresh one, so it cannot end in the middle.
    const playing = await title(ada);
    await until(async () => (await title(ada)) !== playing, TRACK_LENGTH + 3000, 'the next track');
    const track = (await title(ada))!;
    await ada.page.getByRole('button', { name: /Like/ }).click();
    await notices(bob).getByText(`Ada liked “${track}”`).waitFor();
    await bob.page.locator('#likes', { hasText: '1' }).waitFor();
    assert.equal(await ada.page.getByRole('button', { name: /Like/ }).isDisabled(), true);

    const wanted = CATALOG.find((entry) => entry.title !== track && entry.title !== playing)!;
    await bob.page.getByRole('button', { name: `Request ${wanted.title}` }).click();
    await notices(ada).getByText(`Bob requested “${wanted.title}”`).waitFor();
    await ada.page.locator('#queue li', { hasText: wanted.title }).waitFor();
    assert.equal(await ada.page.getByRole('button', { name: `Request ${wanted.title}` }).isDisabled(), true);
    await screenshot(ada, 'jukebox-1-liked-and-requested');

    // Someone arriving now gets the track with its likes, the queue and the latest notifications.
    const carol = await open('Carol');
    assert.equal(await title(carol), track);
    await carol.page.locator('#likes', { hasText: '1' }).waitFor();
    await carol.page.locator('#queue li', { hasText: wanted.title }).waitFor();
    await notices(carol).getByText(`Bob requested “${wanted.title}”`).waitFor();
    await ada.page.locator('#listeners li', { hasText: 'Carol' }).waitFor();
    await screenshot(carol, 'jukebox-2-late-joiner');

    // Three listeners: a skip needs two votes (half, rounded up). The second skips to the requested track.
    await carol.page.locator('#skip-votes', { hasText: '0/2' }).waitFor();
    await ada.page.getByRole('button', { name: /Vote to skip/ }).click();
    await notices(bob).getByText(`Ada voted to skip “${track}”: skip 1/2`).waitFor();
    await carol.page.locator('#skip-votes', { hasText: '1/2' }).waitFor();
    assert.equal(await title(carol), track);
    await bob.page.getByRole('button', { name: /Vote to skip/ }).click();
    for (const person of [ada, bob, carol]) {
      await notices(person).getByText(`Skipped “${track}”`).waitFor();
      await person.page.locator('#track-title', { hasText: wanted.title }).waitFor();
    }
    await bob.page.locator('#track-requested', { hasText: 'requested by Bob' }).waitFor();
    await screenshot(ada, 'jukebox-3-skipped');
  });

  test('no page logged an error (a blocked script, a CSP violation, an exception)', () => {
    for (const person of people) assert.deepEqual(person.errors, []);
  });
});
