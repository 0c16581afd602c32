import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Locator } from 'playwright-core';
import { startDemoServer, type DemoServer } from '../../src/cli/demo-server.js';
import { launchChromium, skipUnlessChromium } from '../helpers/browser.js';
import { buildClientBundle } from '../helpers/client-bundle.js';
import { spawnCli, type ChildHandle } from '../helpers/processes.js';
import { until } from '../helpers/wait.js';
import { openPage, screenshot, type OpenOptions, type Person } from './app-pages.js';

describe('Sensor hub demo in headless Chromium', { skip: skipUnlessChromium() }, () => {
  let server: DemoServer;
  let browser: Browser;
  let sim: ChildHandle;
  const people: Person[] = [];

  async function open(options?: OpenOptions): Promise<Person> {
    const person = await openPage(browser, `${server.url}sensors/`, options);
    people.push(person);
    await person.page
      .getByRole('status')
      .getByText(/^Connected · /)
      .waitFor();
    return person;
  }

  function device(person: Person, name: string): Locator {
    return person.page.getByRole('article', { name });
  }

  function relay(person: Person, name: string, number: number): Locator {
    return device(person, name).getByRole('switch', { name: `Relay ${number}` });
  }

  /** The chart of a device's quantity: how many readings it holds and the line drawn through them, read at once. */
  function chart(person: Person, name: string, quantity: string): Promise<{ readings: number; line: string }> {
    return device(person, name)
      .locator(`figure[data-quantity="${quantity}"] svg`)
      .evaluate((svg) => {
        // The test's type library has no DOM, hence the cast.
        const element = svg as unknown as {
          dataset: { points?: string };
          querySelector(selector: string): { getAttribute(name: string): string | null };
        };
        return {
          readings: Number(element.dataset.points ?? '0'),
          line: element.querySelector('polyline').getAttribute('points') ?? '',
        };
      });
  }

  async function chartPoints(person: Person, name: string, quantity: string): Promise<number> {
    return (await chart(person, name, quantity)).readings;
  }

  before(async () => {
    await buildClientBundle();
    server = await startDemoServer({ port: 0 });
    browser = await launchChromium();
    sim = spawnCli([
      'sensor-sim',
      `ws://sensor:hub-demo@127.0.0.1:${server.address.port}/devices`,
      '--devices',
      '2',
      '--interval',
      '250ms',
    ]);
    await sim.waitForOutput(/Connected to/);
  });

  after(async () => {
    sim?.kill();
    await browser?.close();
    await server?.close();
  });

  test('the index links to the sensor hub', async () => {
    const person = await openPage(browser, server.url);
    await person.page.getByRole('link', { name: /^Sensors/ }).click();
    await person.page.waitForURL(`${server.url}sensors/`);
    assert.equal(await person.page.title(), 'Sensor hub · Switchboard demo');
    await person.context.close();
  });

  test('two dashboards show the simulated devices, with charts that keep updating', async () => {
    const [ada, bob] = [await open(), await open()];
    for (const person of [ada, bob]) {
      await device(person, 'sim-1').waitFor();
      await device(person, 'sim-2').waitFor();
      await relay(person, 'sim-2', 1).waitFor();
    }
    await until(async () => (await chartPoints(ada, 'sim-1', 'temperature')) >= 2, 5000, 'two temperatures');
    const first = await chart(ada, 'sim-1', 'temperature');
    await until(
      async () => (await chart(ada, 'sim-1', 'temperature')).readings > first.readings,
      5000,
      'the next temperature',
    );
    const next = await chart(ada, 'sim-1', 'temperature');
    assert.notEqual(next.line, first.line, 'the chart was drawn again');
    assert.match(
      (await device(ada, 'sim-1').locator('figure[data-quantity="temperature"] .value').textContent())!,
      /°C$/,
    );
    assert.match((await device(bob, 'sim-2').locator('figure[data-quantity="humidity"] .value').textContent())!, /%$/);
    await screenshot(ada, 'sensors-1-dashboard');
  });

  test('a relay flipped on one page reaches the device and shows on the other page', async () => {
    const [ada, bob] = people.slice(-2) as [Person, Person];
    assert.equal(await relay(bob, 'sim-1', 0).getAttribute('aria-checked'), 'false');
    await relay(ada, 'sim-1', 0).click();
    await sim.waitForOutput(/sim-1: relay 0 on \(command from the hub\)/);
    await bob.page.locator('[role="switch"][aria-checked="true"]', { hasText: 'Relay 0' }).waitFor();
    assert.equal(await relay(bob, 'sim-1', 0).getAttribute('aria-checked'), 'true');
    assert.equal(await relay(bob, 'sim-2', 0).getAttribute('aria-checked'), 'false', 'the other device did not move');
    await relay(ada, 'sim-1', 0).and(ada.page.locator('[aria-checked="true"]')).waitFor();
    await screenshot(bob, 'sensors-2-relay-on-other-page');

    await relay(bob, 'sim-1', 0).click();
    await sim.waitForOutput(/sim-1: relay 0 off/);
    await ada.page.locator('[role="switch"][aria-checked="true"]').waitFor({ state: 'detached' });
  });

  test('a page subscribed to one wildcard pattern receives only what it matches', async () => {
    const carol = await open();
    for (const pattern of ['sensors/#', 'relays/#'])
      await carol.page.getByRole('button', { name: `Unsubscribe ${pattern}` }).click();
    await carol.page.getByRole('list', { name: 'Subscribed patterns' }).locator('li').waitFor({ state: 'detached' });
    await carol.page.getByLabel('Topic pattern').fill('sensors/+/humidity');
    await carol.page.getByRole('button', { name: 'Subscribe', exact: true }).click();
    await carol.page.getByRole('button', { name: 'Unsubscribe sensors/+/humidity' }).waitFor();
    const log = carol.page.getByRole('log');
    const count = await log.locator('li').count();
    await until(async () => (await log.locator('li').count()) >= count + 4, 5000, 'humidity messages');
    const topics = await log
      .locator('li')
      .evaluateAll((items) => items.slice(0, 4).map((item) => item.firstChild!.textContent));
    assert.deepEqual(
      topics.filter((topic) => !/^sensors\/sim-[12]\/humidity$/.test(topic ?? '')),
      [],
      `only humidity: ${topics.join()}`,
    );
    // A pattern the hub refuses says why.
    await carol.page.getByLabel('Topic pattern').fill('sensors/#/x');
    await carol.page.getByRole('button', { name: 'Subscribe', exact: true }).click();
    await carol.page.locator('#subscribe-error', { hasText: '# must be a whole level and the last one' }).waitFor();
    await screenshot(carol, 'sensors-3-one-pattern');
  });

  test('with WebSocket blocked the page keeps to long-polling and still switches relays', async () => {
    const dora = await open({ blockWebSocket: true });
    const [ada] = people.slice(0, 2) as [Person];
    await relay(dora, 'sim-2', 1).waitFor();
    await until(async () => (await chartPoints(dora, 'sim-2', 'humidity')) >= 2, 5000, 'humidity over polling');
    await relay(dora, 'sim-2', 1).click();
    await sim.waitForOutput(/sim-2: relay 1 on/);
    await relay(ada, 'sim-2', 1).and(ada.page.locator('[aria-checked="true"]')).waitFor();
    assert.equal(await dora.page.getByRole('status').textContent(), 'Connected · polling');
    const refused = dora.errors.filter((error) => !/websocket-blocked/.test(error));
    assert.deepEqual(refused, []);
    await screenshot(dora, 'sensors-4-polling');
    // Its client would go on trying WebSocket, and logging each refusal, while it stays open.
    dora.errors.length = 0;
    await dora.context.close();
  });

  test('after a network drop the dashboard reconnects, subscribes again, charts on and switches relays', async () => {
    const hana = await open();
    const [ada] = people.slice(0, 2) as [Person];
    // Patterns no other page holds: a session recovered on reconnection is back in their rooms, but
    // only the page's own subscribe makes the hub send there again.
    const mine = ['sensors/sim-2/+', 'relays/sim-2/+'];
    for (const pattern of mine) {
      await hana.page.getByLabel('Topic pattern').fill(pattern);
      await hana.page.getByRole('button', { name: 'Subscribe', exact: true }).click();
      await hana.page.getByRole('button', { name: `Unsubscribe ${pattern}` }).waitFor();
    }
    for (const pattern of ['sensors/#', 'relays/#'])
      await hana.page.getByRole('button', { name: `Unsubscribe ${pattern}` }).click();
    const subscribed = hana.page.getByRole('list', { name: 'Subscribed patterns' }).locator('li');
    await until(async () => (await subscribed.count()) === mine.length, 5000, 'only the page’s own patterns');
    await until(async () => (await chartPoints(hana, 'sim-2', 'temperature')) >= 2, 5000, 'two temperatures');

    await hana.context.setOffline(true);
    await hana.page
      .getByRole('status')
      .getByText(/Reconnecting/)
      .waitFor();
    const offline = await chart(hana, 'sim-2', 'temperature');
    await hana.context.setOffline(false);

    await hana.page
      .getByRole('status')
      .getByText(/^Connected · /)
      .waitFor({ timeout: 30_000 });
    await until(
      async () => (await chartPoints(hana, 'sim-2', 'temperature')) >= offline.readings + 2,
      10_000,
      'temperatures after the reconnection',
    );
    assert.notEqual((await chart(hana, 'sim-2', 'temperature')).line, offline.line, 'the chart was drawn again');
    assert.deepEqual(await subscribed.locator('code').allTextContents(), mine);
    await screenshot(hana, 'sensors-5-back-online');

    assert.equal(await relay(hana, 'sim-2', 0).getAttribute('aria-checked'), 'false');
    await relay(hana, 'sim-2', 0).click();
    await sim.waitForOutput(/sim-2: relay 0 on \(command from the hub\)/);
    await relay(hana, 'sim-2', 0).and(hana.page.locator('[aria-checked="true"]')).waitFor();
    await relay(ada, 'sim-2', 0).and(ada.page.locator('[aria-checked="true"]')).waitFor();
  });

  test('no page logged an error (a blocked script, a CSP violation, an exception)', () => {
    // Besides the reconnection attempts Chromium logs while a test holds a page offline.
    for (const person of people) {
      assert.deepEqual(
        person.errors.filter((error) => !/net::ERR_INTERNET_DISCONNECTED/.test(error)),
        [],
      );
    }
  });
});
