/**
 * Pages of the demo apps on the realtime server, for the browser tests: one browser context per
 * person (as separate browsers would be), the page's errors collected, screenshots on request.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { collectPageErrors } from '../helpers/browser.js';

/** Set to a directory to keep screenshots of the pages at each step, for a human to look at. */
const SCREENSHOT_DIR = process.env['SWITCHBOARD_SCREENSHOTS'];

/** One person on an app page. */
export interface Person {
  readonly context: BrowserContext;
  readonly page: Page;
  readonly errors: string[];
}

/** Options of {@link openPage}. */
export interface OpenOptions {
  /**
   * Make every WebSocket the page opens fail, as a proxy that refuses upgrades would: each is sent
   * to a path the server answers with 404. The realtime client must then keep to long-polling.
   */
  readonly blockWebSocket?: boolean;
}

/** Opens `url` in a new context of `browser`. */
export async function openPage(browser: Browser, url: string, options: OpenOptions = {}): Promise<Person> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 760 } });
  if (options.blockWebSocket === true) {
    // Runs in the page before its scripts; the test's type library has no DOM, hence the casts.
    await context.addInitScript(() => {
      const scope = globalThis as unknown as { WebSocket: typeof WebSocket; location: URL };
      const Native = scope.WebSocket;
      scope.WebSocket = class extends Native {
        constructor(_url: string | URL, protocols?: ConstructorParameters<typeof WebSocket>[1]) {
          super(new URL('/websocket-blocked', scope.location.href).href.replace(/^http/, 'ws'), protocols);
        }
      };
    });
  }
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const errors = collectPageErrors(page);
  await page.goto(url);
  return { context, page, errors };
}

/** Fills in the name form of an app page and submits it. */
export async function connectAs(person: Person, name: string, button: string): Promise<void> {
  await person.page.getByLabel('Your name').fill(name);
  await person.page.getByRole('button', { name: button }).click();
}

/** Saves a screenshot of the page when screenshots are asked for. */
export async function screenshot(person: Person, name: string): Promise<void> {
  if (SCREENSHOT_DIR === undefined) return;
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await person.page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`) });
}
