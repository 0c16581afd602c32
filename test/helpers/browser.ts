/**
 * Headless Chromium for browser tests, driven by playwright-core. Tests that need it pass
 * `{ skip: skipUnlessChromium() }`: without a Chromium they skip with a message, except under
 * `CI=true`, where a missing browser is a failure rather than a silent skip.
 */
import { accessSync, constants } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Where the browser is installed; `CHROMIUM_PATH` points elsewhere. */
export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** Flags for a quiet, deterministic headless browser that talks to nothing but the test server. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
] as const;

function chromiumInstalled(): boolean {
  try {
    accessSync(CHROMIUM_PATH, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The `skip` option for a browser test: `false` when Chromium is there, a message when it is
 * not. Under `CI=true` a missing Chromium throws, so the suite fails instead of passing empty.
 *
 * @example
 * describe('chat page', { skip: skipUnlessChromium() }, () => { ... });
 */
export function skipUnlessChromium(): string | false {
  if (chromiumInstalled()) return false;
  const message = `Chromium not found at ${CHROMIUM_PATH} (set CHROMIUM_PATH)`;
  if (process.env['CI'] === 'true') throw new Error(`${message}; browser tests must run in CI`);
  return `${message}; skipping browser tests`;
}

/** Launches headless Chromium; close it with `browser.close()` when the test ends. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS], timeout: 30_000 });
}

/**
 * Collects what would go unnoticed in a headless page: uncaught exceptions and console errors
 * (a CSP violation, a failed request). Assert the list is empty at the end of a test.
 */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  return errors;
}
