// Debian's Chromium (through playwright-core) for the page tests: one browser per test file, a fresh profile per
// context, and every uncaught page error fails the test it happened in. Every wait is bounded.
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { TEST_PASSWORD } from './utils.ts';

export const WAIT = 15_000; // the longest any single wait may take
export const TEST_TIMEOUT = 90_000;
export const poll = { timeout: WAIT, interval: 100 };

export const text = (page: Page, selector: string) => page.locator(selector).textContent();
export const attr = (page: Page, selector: string, name: string) => page.locator(selector).getAttribute(name);

/** A browser for this file's tests against the hub at `url()`, and the page errors seen (checked after each test). */
export function browserKit(url: () => string) {
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      timeout: WAIT,
    });
  });
  afterEach(async () => {
    await Promise.allSettled(contexts.splice(0).map((c) => c.close()));
    const seen = pageErrors.splice(0);
    expect(seen, 'uncaught errors in the pages').toEqual([]);
  });
  afterAll(async () => {
    await Promise.allSettled(contexts.map((c) => c.close()));
    await browser?.close();
  });

  /** A fresh browser profile (own cookies, localStorage and sessionStorage) pointed at the hub. */
  async function newContext(opts: BrowserContextOptions & { baseURL?: string } = {}): Promise<BrowserContext> {
    const context = await browser.newContext({ baseURL: url(), viewport: { width: 1024, height: 900 }, locale: 'en-GB', ...opts });
    context.setDefaultTimeout(WAIT);
    context.setDefaultNavigationTimeout(WAIT);
    context.on('page', (page) => page.on('pageerror', (error) => pageErrors.push(`${page.url()}: ${error.message}`)));
    contexts.push(context);
    return context;
  }

  async function newPage(context?: BrowserContext): Promise<Page> {
    return (context ?? (await newContext())).newPage();
  }

  return { newContext, newPage };
}

/** Signs in through /login and waits for the page the sign-in leads to. */
export async function signIn(page: Page, who: { email: string }, landing: string, password = TEST_PASSWORD) {
  await page.goto('/login');
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  // Only until the next page starts: what the test waits for next (bounded on its own) shows that it has loaded.
  await page.waitForURL((url) => url.pathname === landing, { waitUntil: 'commit' }).catch(async (error: Error) => {
    const shown = await page.locator('#error').textContent().catch(() => null);
    throw new Error(`${error.message}\n(signing in as ${who.email}: on ${page.url()}, error shown: ${JSON.stringify(shown)})`);
  });
}
