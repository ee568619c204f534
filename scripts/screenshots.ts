// npm run screenshots
//
// Writes docs/screenshots/{kiosk,board,me,admin,assistant}.png: starts the hub in embedded mode on a fresh data
// directory (the demo organisation loads by itself), drives Debian's Chromium (/usr/bin/chromium, or CHROMIUM_PATH)
// at a tablet-sized viewport (a phone for /me), then stops the hub and removes the data directory.
//   kiosk     — paired by the admin, right after a demo badge of the Engineering team was read;
//   board     — the Engineering board, signed in as its manager (ada.lovelace@example.com), with a correction
//               request from a member waiting in the inbox;
//   me        — that member's own page on a phone, with the request pending;
//   admin     — the admin console's employees;
//   assistant — signed in as the admin, after a question to the built-in planner.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { spawnHub, type HubChild as HubProcess } from '../harness/index.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'docs', 'screenshots');
const ADMIN_EMAIL = 'admin@example.com';
const ADMIN_PASSWORD = 'Screenshots-Admin-2026';
const MANAGER = { email: 'ada.lovelace@example.com', password: 'demo-pass-123' };
const QUESTION = 'Who was late this month in Support?';
const VIEWPORT = { width: 834, height: 1112 }; // a 10.5" tablet, portrait
const PHONE = { width: 390, height: 844 };
const DEMO_PASSWORD = 'demo-pass-123';
const START_TIMEOUT_MS = 120_000;
const WAIT_MS = 15_000;

type Hub = HubProcess;

async function api<T>(hub: Hub, path: string, token?: string): Promise<T> {
  const res = await fetch(`${hub.url}${path}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function token(hub: Hub, username: string, password: string): Promise<string> {
  const res = await fetch(`${hub.url}/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username, password }),
  });
  if (!res.ok) throw new Error(`sign-in as ${username}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

/** A demo badge of the manager's team whose owner has not arrived yet today (else any of that team's badges). */
async function badgeToRead(hub: Hub): Promise<string> {
  const admin = await token(hub, ADMIN_EMAIL, ADMIN_PASSWORD);
  const managerToken = await token(hub, MANAGER.email, MANAGER.password);
  const [team] = await api<{ team_id: number }[]>(hub, '/teams/', managerToken);
  const people = await api<{ employee_id: number; badge_id: string | null; team_id: number | null; access: string }[]>(hub, `/employees/?team_id=${team.team_id}&limit=1000`, admin);
  const today = new Date().toISOString().slice(0, 10); // the demo hub runs on UTC
  const records = await api<{ employee_id: number }[]>(hub, `/attendance/?date_from=${today}&date_to=${today}&limit=1000`, admin);
  const arrived = new Set(records.map((r) => r.employee_id));
  const members = people.filter((p) => p.team_id === team.team_id && p.badge_id && p.access === 'employee');
  const pick = members.find((p) => !arrived.has(p.employee_id)) ?? members[0];
  if (!pick) throw new Error('no demo badge found in the manager’s team');
  return pick.badge_id!;
}

/**
 * A member of the manager's team asks (through the API, as /me would) for the check-out they forgot on their last
 * working day before today; the one asking, for /me.
 */
async function askForCorrection(hub: Hub): Promise<{ email: string }> {
  const managerToken = await token(hub, MANAGER.email, MANAGER.password);
  const [team] = await api<{ team_id: number }[]>(hub, '/teams/', managerToken);
  const admin = await token(hub, ADMIN_EMAIL, ADMIN_PASSWORD);
  const people = await api<{ employee_id: number; email: string; team_id: number | null; access: string }[]>(hub, `/employees/?team_id=${team.team_id}&limit=1000`, admin);
  const member = people.find((p) => p.team_id === team.team_id && p.access === 'employee');
  if (!member) throw new Error('no demo employee in the manager’s team');
  const memberToken = await token(hub, member.email, DEMO_PASSWORD);
  const records = await api<{ attendance_date: string; check_in_time: string | null }[]>(hub, `/attendance/?limit=10`, memberToken);
  const today = new Date().toISOString().slice(0, 10);
  const day = records.find((r) => r.attendance_date < today && r.check_in_time)?.attendance_date;
  if (!day) throw new Error('no past working day of the demo employee');
  const res = await fetch(`${hub.url}/attendance/corrections/`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${memberToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ attendance_date: day, check_out_time: '17:30:00', reason: 'Forgot to badge out after the release' }),
  });
  if (!res.ok) throw new Error(`correction request: ${res.status} ${await res.text()}`);
  return member;
}

async function signIn(page: Page, email: string, password: string, landing: string) {
  await page.goto('/login');
  await page.locator('#email').fill(email);
  await page.locator('#password').fill(password);
  await page.locator('#signin button[type="submit"]').click();
  await page.waitForURL((url) => url.pathname === landing);
}

const waitForText = (page: Page, selector: string, pattern: RegExp) =>
  page.locator(selector).filter({ hasText: pattern }).first().waitFor({ state: 'visible' });

async function shoot(browser: Browser, hub: Hub, name: string, drive: (page: Page) => Promise<void>, viewport = VIEWPORT) {
  const context = await browser.newContext({ baseURL: hub.url, viewport, deviceScaleFactor: 1, colorScheme: 'light', locale: 'en-GB', timezoneId: 'UTC' });
  context.setDefaultTimeout(WAIT_MS);
  try {
    const page = await context.newPage();
    await drive(page);
    const path = join(OUT, `${name}.png`);
    await page.screenshot({ path, animations: 'disabled', caret: 'hide' });
    console.error(`wrote ${path}`);
  } finally {
    await context.close();
  }
}

async function main() {
  mkdirSync(OUT, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'checkin-screenshots-'));
  let hub: Hub | null = null;
  let browser: Browser | null = null;
  try {
    console.error('starting the hub (embedded, demo data)…');
    // A clean environment: never a DATABASE_URL or REDIS_URL from the shell, always the embedded demo.
    hub = await spawnHub({ DATA_DIR: dataDir, ADMIN_EMAIL, ADMIN_PASSWORD }, START_TIMEOUT_MS);
    const started = hub;
    const badge = await badgeToRead(started);
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      timeout: WAIT_MS,
    });

    await shoot(browser, started, 'kiosk', async (page) => {
      await page.goto('/kiosk');
      await page.locator('#pair-email').fill(ADMIN_EMAIL);
      await page.locator('#pair-password').fill(ADMIN_PASSWORD);
      await page.locator('#kiosk-name-input').fill('Front door');
      await page.locator('#pair-form button[type="submit"]').click();
      await waitForText(page, '#connection', /^Online$/);
      await page.locator('#badge').fill(badge);
      await page.locator('#badge').press('Enter');
      await waitForText(page, '#confirm', /: Checked (in|out) /);
    });

    const member = await askForCorrection(started);
    await shoot(browser, started, 'board', async (page) => {
      await signIn(page, MANAGER.email, MANAGER.password, '/board');
      await waitForText(page, '#connection', /^Live$/);
      await page.locator('#members tr').first().waitFor();
      await page.locator('#inbox-list li').first().waitFor();
      await waitForText(page, '#chart-caption', /working days|No working days/);
      await page.locator('#yesterday').filter({ hasText: /\S/ }).waitFor().catch(() => undefined); // the summary, if ready
    });

    await shoot(
      browser,
      started,
      'me',
      async (page) => {
        await signIn(page, member.email, DEMO_PASSWORD, '/me');
        await waitForText(page, '#connection', /^Live$/);
        await page.locator('#corrections tbody tr').first().waitFor();
        await page.locator('#days tbody tr').first().waitFor();
      },
      PHONE,
    );

    await shoot(browser, started, 'admin', async (page) => {
      await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD, '/assistant');
      await page.goto('/admin#employees');
      await page.locator('#emp-table tbody tr').first().waitFor();
    });

    await shoot(browser, started, 'assistant', async (page) => {
      await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD, '/assistant');
      await waitForText(page, '#connection', /^Live$/);
      await page.locator('#question').fill(QUESTION);
      await page.locator('#ask button[type="submit"]').click();
      await page.locator('#history li').first().waitFor();
    });
  } finally {
    await browser?.close();
    await hub?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
