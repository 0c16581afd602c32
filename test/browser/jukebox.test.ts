import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { CATALOG } from '../../src/cli/apps/jukebox/catalog.js';
import { startDemoServer, type DemoServer } from '../../src/cli/demo-server.js';
import { launchChromium, skipUnlessChromium } from '../helpers/browser.js';
import { buildClientBundle } from '../helpers/client-bundle.js';
import { until } from '../helpers/wait.js';
import { connectAs, openPage, screenshot, type OpenOptions, type Person } from './app-pages.js';

/** Long enough to act on a track, short enough to watch one end. */
const TRACK_LENGTH = 10_000;

describe('Jukebox demo in headless Chromium', { skip: skipUnlessChromium() }, () => {
  let server: DemoServer;
  let browser: Browser;
  const people: Person[] = [];

  async function open(name: string, options?: OpenOptions): Promise<Person> {
    const person = await openPage(browser, `${server.url}jukebox/`, options);
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

  function likes(person: Person): Promise<string | null> {
    return person.page.locator('#likes').textContent();
  }

  function queued(person: Person): Promise<string[]> {
    return person.page.locator('#queue li .title').allTextContents();
  }

  /**
   * Waits for the next track to start, so that what the test does next cannot straddle the end of
   * one, and returns its title. Told by its notice, not its title: a track may follow itself.
   */
  async function freshTrack(person: Person): Promise<string> {
    const latest = notices(person).locator('li', { hasText: 'Now playing' }).first();
    const before = await latest.getAttribute('data-id');
    await until(async () => (await latest.getAttribute('data-id')) !== before, TRACK_LENGTH + 3000, 'the next track');
    const track = /“(.+)”/.exec((await latest.textContent())!)![1]!;
    // The notice comes first, then the state that shows it.
    await person.page.locator('#track-title', { hasText: track }).waitFor();
    return track;
  }

  /** A catalog track `person` may request now: neither playing nor queued. */
  async function requestable(person: Person): Promise<string> {
    const taken = new Set([await title(person), ...(await queued(person))]);
    return CATALOG.find((entry) => !taken.has(entry.title))!.title;
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
    const track = await freshTrack(ada);
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

  test('with WebSocket blocked a listener keeps to long-polling and still likes and requests', async () => {
    const dora = await open('Dora', { blockWebSocket: true });
    const eve = await open('Eve');
    const track = await freshTrack(dora);
    await dora.page.getByRole('button', { name: /Like/ }).click();
    await notices(eve).getByText(`Dora liked “${track}”`).waitFor();
    await eve.page.locator('#likes', { hasText: '1' }).waitFor();
    const wanted = await requestable(dora);
    await dora.page.getByRole('button', { name: `Request ${wanted}` }).click();
    await notices(eve).getByText(`Dora requested “${wanted}”`).waitFor();
    await eve.page.locator('#queue li', { hasText: wanted }).waitFor();
    // What Eve did reaches Dora over polling too.
    await eve.page.getByRole('button', { name: /Vote to skip/ }).click();
    await notices(dora).getByText(`Eve voted to skip “${track}”`).waitFor();
    // Every upgrade attempt failed, so Dora is still on polling.
    assert.equal(await dora.page.getByRole('status').textContent(), 'Listening · polling');
    await screenshot(dora, 'jukebox-4-polling');
  });

  test('after a network drop the page shows the current state again and keeps receiving notifications', async () => {
    const finn = await open('Finn');
    const gus = await open('Gus');
    const track = await freshTrack(gus);
    await finn.page.locator('#track-title', { hasText: track }).waitFor();

    await finn.context.setOffline(true);
    await finn.page
      .getByRole('status')
      .getByText(/Reconnecting/)
      .waitFor();
    // What Finn misses: a like and a request.
    await gus.page.getByRole('button', { name: /Like/ }).click();
    await gus.page.locator('#likes', { hasText: '1' }).waitFor();
    const wanted = await requestable(gus);
    await gus.page.getByRole('button', { name: `Request ${wanted}` }).click();
    await gus.page.locator('#queue li', { hasText: wanted }).waitFor();
    assert.equal(await likes(finn), '0', 'the offline page heard nothing');
    await finn.context.setOffline(false);

    await finn.page
      .getByRole('status')
      .getByText(/^Listening · /)
      .waitFor({ timeout: 30_000 });
    await finn.page.locator('#likes', { hasText: '1' }).waitFor();
    await finn.page.locator('#queue li', { hasText: wanted }).waitFor();
    assert.equal(await title(finn), track);
    assert.deepEqual(await queued(finn), await queued(gus));
    await finn.page.locator('#listeners li', { hasText: 'Finn (you)' }).waitFor();
    for (const missed of [`Gus liked “${track}”`, `Gus requested “${wanted}”`]) {
      await notices(finn).getByText(missed).waitFor();
      // Sent again on reconnection (the welcome, the recovered session): shown once.
      assert.equal(await notices(finn).getByText(missed).count(), 1, `${missed} shows once`);
    }
    await screenshot(finn, 'jukebox-5-back-online');

    // The page goes on acting on the jukebox and hearing it (the skip vote last: it may end the track).
    await finn.page.getByRole('button', { name: /Like/ }).click();
    await notices(gus).getByText(`Finn liked “${track}”`).waitFor();
    await gus.page.locator('#likes', { hasText: '2' }).waitFor();
    assert.equal(await finn.page.getByRole('button', { name: /Like/ }).isDisabled(), true);
    await gus.page.getByRole('button', { name: /Vote to skip/ }).click();
    await notices(finn).getByText(`Gus voted to skip “${track}”`).waitFor();
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
