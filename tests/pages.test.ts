// The pages in a real browser (Debian's Chromium through playwright-core) against the whole hub on a random port:
// kiosk pairing, punches and the offline queue, the live team board, the assistant console, sign-in and sign-out,
// and the accessibility basics. Every wait is bounded.
import type { Page, WebSocketRoute } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { attr, browserKit, poll, signIn, TEST_TIMEOUT, text } from './browser.ts';
import { http, sleep, startServer, withHubAndServer, type TestServer } from './socket-utils.ts';
import { TEST_PASSWORD, uid, type TestHub } from './utils.ts';

let hub: TestHub;
let server: TestServer;
const { newContext, newPage } = browserKit(() => server.url);

withHubAndServer({}, (h, s) => ((hub = h), (server = s)));

// The browser globals used by the functions that run in the page (the project type-checks without the DOM library).
interface PageElement {
  id: string;
  tagName: string;
  type?: string;
  outerHTML: string;
  dataset: Record<string, string | undefined>;
  labels?: { length: number } | null;
  getAttribute(name: string): string | null;
  closest(selector: string): PageElement | null;
}
declare const document: { activeElement: PageElement | null; querySelectorAll(selector: string): Iterable<PageElement> & { length: number } };
declare const window: { marker?: string };

type Person = { employee_id: number; name: string; email: string; badge_id: string | null; token: string };
type Org = Awaited<ReturnType<TestHub['makeOrg']>>;

const stateOf = (page: Page, employeeId: number) => attr(page, `#members tr[data-employee="${employeeId}"] [data-state]`, 'data-state');
const count = async (page: Page, key: string) => Number((await page.locator(`#counts [data-count="${key}"] b`).count()) ? await text(page, `#counts [data-count="${key}"] b`) : 0);
/** States of someone who has not come in (which one depends on the clock and the weekday: before or after the shift's start, or no shift today). */
const NOT_ARRIVED = /^(not_in_yet|overdue|off)$/;
const notArrived = async (page: Page) => (await count(page, 'not_in_yet')) + (await count(page, 'overdue')) + (await count(page, 'off'));

/** Opens the team board as the team's manager and waits until it is live with the team's rows. */
async function openBoard(manager: Person, members: Person[]) {
  const page = await newPage();
  await signIn(page, manager, '/board');
  await expect.poll(() => text(page, '#connection'), poll).toBe('Live');
  for (const m of members) await expect.poll(() => stateOf(page, m.employee_id), poll).toMatch(NOT_ARRIVED);
  return page;
}

/** Pairs a kiosk through its page with the admin's email and password, and waits until it is online. */
async function pairKiosk(page: Page, admin: Person, name = `Door ${uid()}`) {
  await page.goto('/kiosk');
  await page.getByLabel('Admin email').fill(admin.email);
  await page.getByLabel('Admin password').fill(TEST_PASSWORD);
  await page.getByLabel('Kiosk name').fill(name);
  await page.getByRole('button', { name: 'Pair' }).click();
  await page.locator('#station').waitFor({ state: 'visible' });
  await expect.poll(() => text(page, '#connection'), poll).toBe('Online');
  expect(await text(page, '#kiosk-name')).toBe(name);
  return name;
}

async function typeBadge(page: Page, badge: string) {
  await page.locator('#badge').fill(badge);
  await page.locator('#badge').press('Enter');
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The Socket.IO events a page receives, as [event, payload], from the frames of its websockets. */
function received(page: Page): [string, any][] {
  const events: [string, any][] = [];
  page.on('websocket', (ws) =>
    ws.on('framereceived', (frame) => {
      const packet = /^42(\[.*)$/s.exec(String(frame.payload));
      if (packet) events.push(JSON.parse(packet[1]) as [string, any]);
   }),
  );
  return events;
}

type QueueItem = { badge_id: string; client_event_id: string; occurred_at: string };
const kioskQueue = (page: Page) => page.evaluate(() => JSON.parse(localStorage.getItem('checkin.kiosk.queue') ?? '[]') as QueueItem[]);

describe('kiosk', () => {
  it('when a kiosk paired through its page reads a badge, then it confirms the check-in, the manager’s open board shows it without a reload, and the record is stored', async () => {
    const { team, manager, alice, bob, admin }: Org = await hub.makeOrg();
    const board = await openBoard(manager, [manager, alice, bob]);
    expect(await notArrived(board)).toBe(3);
    await board.evaluate(() => void (window.marker = 'no reload'));

    const kiosk = await newPage();
    const device = await pairKiosk(kiosk, admin);
    // Only the kiosk's own device token is kept on the device, never the admin's session.
    expect(await kiosk.evaluate(() => [localStorage.getItem('checkin.kiosk.token') !== null, sessionStorage.length])).toEqual([true, 0]);

    await typeBadge(kiosk, alice.badge_id!);
    await expect.poll(() => text(kiosk, '#confirm'), poll).toMatch(new RegExp(`^${escapeRegExp(alice.name)}: Checked in \\d\\d:\\d\\d — (Present|Late)$`));
    const confirmed = (await text(kiosk, '#confirm'))!.split(' — ')[1];
    expect(await kiosk.locator('#badge').inputValue()).toBe('');

    await expect.poll(() => stateOf(board, alice.employee_id), poll).toBe('in');
    expect(await text(board, `#members tr[data-employee="${alice.employee_id}"] [data-state]`)).toBe(confirmed === 'Late' ? 'In · late' : 'In');
    expect(await count(board, 'in')).toBe(1);
    expect(await count(board, 'in_now')).toBe(1);
    expect(await notArrived(board)).toBe(2);
    expect(await stateOf(board, bob.employee_id)).toMatch(NOT_ARRIVED);
    expect(await board.evaluate(() => window.marker)).toBe('no reload');

    const records = await hub.rows<{ status: string; check_in_time: Date | null; team_id: number; source: string }>(
      'select status, check_in_time, team_id, source from attendance where employee_id = ?',
      [alice.employee_id],
    );
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ status: confirmed, team_id: team.team_id, source: 'kiosk' });
    expect(records[0].check_in_time).not.toBeNull();
    const punches = await hub.rows<{ source: string; device: string; action: string }>('select source, device, action from punches where employee_id = ?', [alice.employee_id]);
    expect(punches).toEqual([{ source: 'kiosk', device, action: 'check_in' }]);
 }, TEST_TIMEOUT);

  it('when badges are read while the network is down, then they wait on the device (across a reload) and are sent once, with the time they were read, when it is back', async () => {
    const { manager, alice, bob, admin }: Org = await hub.makeOrg();
    const people = [manager, alice, bob];
    const ids = people.map((p) => p.employee_id);
    const context = await newContext();
    // The kiosk's socket can be held shut while the page itself loads, to reload before the queue is sent: the
    // engine.io handshake gets through, then the connection drops (the client retries with its usual backoff).
    let socketAllowed = true;
    await context.routeWebSocket(/\/socket\.io\//, (ws: WebSocketRoute) => {
      const hubSide = ws.connectToServer();
      if (socketAllowed) return; // no handlers: everything is forwarded both ways
      ws.onMessage(() => undefined);
      hubSide.onMessage((message) => {
        ws.send(message);
        void ws.close();
     });
   });
    const kiosk = await newPage(context);
    await pairKiosk(kiosk, admin);
    expect(await attr(kiosk, '#waiting', 'data-count')).toBe('0');

    // The badge → name list arrives once the socket is up; it stays on the device for offline confirmations.
    await expect.poll(() => kiosk.evaluate(() => localStorage.getItem('checkin.kiosk.roster') !== null), poll).toBe(true);
    await context.setOffline(true);
    await expect.poll(() => text(kiosk, '#connection'), poll).toMatch(/^Offline/);
    const typedFrom = Date.now();
    for (const p of people) {
      await typeBadge(kiosk, p.badge_id!);
      // Named from the badge → name list the kiosk fetched while online ("Person P.": first name, last initial).
      const short = `${p.name.split(' ')[0]} ${p.name.split(' ').at(-1)![0]}.`;
      await expect.poll(() => text(kiosk, '#confirm'), poll).toMatch(new RegExp(`^${escapeRegExp(short)}: Saved at \\d\\d:\\d\\d — it will be sent when the connection is back$`));
   }
    const typedUntil = Date.now();
    await expect.poll(() => text(kiosk, '#waiting'), poll).toBe('3 waiting');
    expect(await attr(kiosk, '#waiting', 'data-count')).toBe('3');

    const queued = await kioskQueue(kiosk);
    expect(queued.map((q) => q.badge_id)).toEqual(people.map((p) => p.badge_id));
    expect(new Set(queued.map((q) => q.client_event_id)).size).toBe(3);
    for (const q of queued) {
      expect(q.client_event_id).toMatch(/^[0-9a-f-]{36}$/);
      const at = Date.parse(q.occurred_at);
      expect(at).toBeGreaterThanOrEqual(typedFrom);
      expect(at).toBeLessThanOrEqual(typedUntil);
   }
    expect(await hub.rows('select 1 from punches where employee_id in (?, ?, ?)', ids)).toEqual([]);

    // The network returns but the socket is held shut: a reload now shows the same queue, read back from the device.
    socketAllowed = false;
    await sleep(1000); // so "sent later" and "read" are clearly apart
    await context.setOffline(false);
    await kiosk.reload();
    await kiosk.locator('#station').waitFor({ state: 'visible' });
    expect(await text(kiosk, '#waiting')).toBe('3 waiting');
    expect(await attr(kiosk, '#waiting', 'data-count')).toBe('3');
    expect((await kioskQueue(kiosk)).map((q) => [q.badge_id, q.client_event_id, q.occurred_at])).toEqual(queued.map((q) => [q.badge_id, q.client_event_id, q.occurred_at]));
    expect(await hub.rows('select 1 from punches where employee_id in (?, ?, ?)', ids)).toEqual([]);

    const restoredAt = Date.now();
    socketAllowed = true;
    await expect.poll(() => attr(kiosk, '#waiting', 'data-count'), poll).toBe('0');
    expect(await text(kiosk, '#waiting')).toBe('All sent');
    expect(await text(kiosk, '#connection')).toBe('Online');
    expect(await kioskQueue(kiosk)).toEqual([]);
    expect(await text(kiosk, '#confirm')).not.toMatch(/not known|inactive|payload|validation/i);

    const punches = await hub.rows<{ employee_id: number; client_event_id: string; occurred_at: Date; received_at: Date; action: string; record_id: number }>(
      'select employee_id, client_event_id, occurred_at, received_at, action, record_id from punches where employee_id in (?, ?, ?) order by occurred_at',
      ids,
    );
    expect(punches).toHaveLength(3);
    expect(punches.map((p) => p.client_event_id).sort()).toEqual(queued.map((q) => q.client_event_id).sort());
    for (const q of queued) {
      const row = punches.find((p) => p.client_event_id === q.client_event_id)!;
      expect(row.employee_id).toBe(people.find((p) => p.badge_id === q.badge_id)!.employee_id);
      expect(row.action).toBe('check_in');
      // The time the badge was read, not the time it reached the hub.
      expect(new Date(row.occurred_at).getTime()).toBe(Date.parse(q.occurred_at));
      expect(new Date(row.occurred_at).getTime()).toBeLessThan(restoredAt);
      expect(new Date(row.received_at).getTime()).toBeGreaterThanOrEqual(restoredAt - 5);
   }
    const records = await hub.rows<{ employee_id: number; record_id: number; check_in_time: Date }>(
      'select employee_id, record_id, check_in_time from attendance where employee_id in (?, ?, ?)',
      ids,
    );
    expect(records.map((r) => r.employee_id).sort()).toEqual([...ids].sort());
    for (const r of records) {
      const row = punches.find((p) => p.employee_id === r.employee_id)!;
      expect(row.record_id).toBe(r.record_id);
      expect(new Date(r.check_in_time).getTime()).toBe(new Date(row.occurred_at).getTime());
   }
 }, TEST_TIMEOUT);
});

describe('team board', () => {
  it('when the board loses its connection while someone checks in over the API, then it reconnects by itself and shows the change from a fresh snapshot', async () => {
    const { manager, alice, bob, admin }: Org = await hub.makeOrg();
    const board = await openBoard(manager, [manager, alice, bob]);
    let joins = 0;
    board.on('websocket', (ws) => ws.on('framesent', (frame) => void (String(frame.payload).includes('"board:join"') && joins++)));

    await board.context().setOffline(true);
    await expect.poll(() => text(board, '#connection'), poll).toBe('Reconnecting…');
    const punch = await http(server.url, 'POST', '/attendance/check-in', { token: admin.token, json: { employee_id: alice.employee_id } });
    expect(punch.status).toBe(200);
    await sleep(1000);
    expect(await stateOf(board, alice.employee_id)).toMatch(NOT_ARRIVED); // nothing can reach it while offline

    await board.context().setOffline(false);
    await expect.poll(() => text(board, '#connection'), poll).toBe('Live');
    await expect.poll(() => stateOf(board, alice.employee_id), poll).toBe('in');
    expect(joins).toBeGreaterThanOrEqual(1); // it asked for a fresh snapshot after reconnecting
    expect(await count(board, 'late')).toBe(punch.body.record.status === 'Late' ? 1 : 0);
    expect(await count(board, 'in')).toBe(1);
    expect(await notArrived(board)).toBe(2);
    expect(await stateOf(board, bob.employee_id)).toMatch(NOT_ARRIVED);
 }, TEST_TIMEOUT);
});

describe('a board on a wall', () => {
  it('when a board stays open past its access token’s lifetime, then it renews the token by itself and is still live: a check-in after that shows without a reload', async () => {
    const short = await startServer({ ACCESS_TOKEN_EXPIRE_MINUTES: '1' });
    try {
      const context = await newContext({ baseURL: short.url });
      const { manager, alice, bob, admin }: Org = await hub.makeOrg();
      const board = await context.newPage();
      const errors: string[] = [];
      board.on('pageerror', (error) => errors.push(error.message));
      await signIn(board, manager, '/board');
      await expect.poll(() => text(board, '#connection'), poll).toBe('Live');
      for (const m of [alice, bob]) await expect.poll(() => stateOf(board, m.employee_id), poll).toMatch(NOT_ARRIVED);
      const tokenNow = () => board.evaluate(() => JSON.parse(sessionStorage.getItem('checkin.session') ?? 'null')?.token as string | undefined);
      const first = await tokenNow();

      await sleep(75_000); // past the first token's minute: the server has closed the socket that connected with it
      expect(await tokenNow()).not.toBe(first);
      await expect.poll(() => text(board, '#connection'), poll).toBe('Live');
      const punch = await http(short.url, 'POST', '/attendance/check-in', { token: admin.token, json: { employee_id: alice.employee_id } });
      expect(punch.status).toBe(200);
      await expect.poll(() => stateOf(board, alice.employee_id), poll).toBe('in');
      expect(new URL(board.url()).pathname).toBe('/board');
      expect(errors).toEqual([]);
   } finally {
      await short.stop('test');
   }
 }, 180_000);
});

describe('assistant', () => {
  it('when an admin asks who was late this month in a team, then the steps, the streamed answer (the same as POST /chat/), the figures and the history appear', async () => {
    const team = await hub.makeTeam({ team_name: `Pages ${uid()}` });
    const late = await hub.makeEmployee({ team_id: team.team_id, name: `Lena Late ${uid()}` });
    await hub.makeEmployee({ team_id: team.team_id });
    const admin = await hub.makeEmployee({ access: 'admin' });
    const today = new Date().toISOString().slice(0, 10); // the hub runs on UTC in the tests
    const created = await http(server.url, 'POST', '/attendance/', { token: admin.token, json: { employee_id: late.employee_id, attendance_date: today, status: 'Late' } });
    expect(created.status).toBe(201);

    const page = await newPage();
    const events = received(page);
    await signIn(page, admin, '/assistant');
    await expect.poll(() => text(page, '#connection'), poll).toBe('Live');
    const question = `Who was late this month in ${team.team_name}?`;
    await page.getByLabel('Your question').fill(question);
    await page.getByRole('button', { name: 'Ask' }).click();

    await expect.poll(() => page.locator('#history li').count(), poll).toBe(1);
    expect(await text(page, '#ask-error')).toBe('');
    const steps = await page.locator('#steps li').allTextContents();
    expect(steps.length).toBeGreaterThanOrEqual(1);
    expect(steps.join('\n')).toContain('people_by_status(');
    expect(steps.join('\n')).toContain(`"team_id":${team.team_id}`);
    const answer = (await text(page, '#answer'))!;
    expect(answer).toContain(late.name);

    // The answer came in pieces before the final one, and the pieces make up the whole answer.
    const deltas = events.filter(([event]) => event === 'assistant:delta').map(([, payload]) => payload.text as string);
    expect(deltas.length).toBeGreaterThanOrEqual(1);
    // The page shows the answer's lines as paragraphs (and lists): the same words, laid out.
    const words = (s: string) => s.replace(/\s+/g, '');
    expect(words(deltas.join(''))).toBe(words(answer));
    const done = events.findIndex(([event]) => event === 'assistant:done');
    expect(done).toBeGreaterThan(events.findLastIndex(([event]) => event === 'assistant:delta'));
    expect(events.filter(([event]) => event === 'assistant:step').map(([, payload]) => payload.tool)).toEqual(steps.map((step) => step.split('(')[0]));

    const chat = await http(server.url, 'POST', '/chat/', { token: admin.token, json: { message: question } });
    expect(chat.status).toBe(200);
    expect(words(answer)).toBe(words(chat.body.response));

    const headers = await page.locator('#data table th').allTextContents();
    expect(headers).toContain('Name');
    const cells = await page.locator('#data table td').allTextContents();
    expect(cells).toContain(late.name);
    expect(await text(page, '#history li b')).toBe(question);
    expect(words((await text(page, '#history li'))!)).toContain(words(answer));
    expect(await page.getByRole('button', { name: 'Ask' }).isEnabled()).toBe(true);
 }, TEST_TIMEOUT);

  it('when a manager opens the assistant, then the page says it is not for their role', async () => {
    const { manager }: Org = await hub.makeOrg();
    const page = await newPage();
    await signIn(page, manager, '/board');
    await page.goto('/assistant');
    await expect.poll(() => text(page, 'main h1'), poll).toBe('Not for your role');
    expect(await page.locator('#question').count()).toBe(0);
 }, TEST_TIMEOUT);
});

describe('sign-in and sign-out', () => {
  it('when the password is wrong, then the sign-in form shows the error and stays on /login', async () => {
    const { manager }: Org = await hub.makeOrg();
    const page = await newPage();
    await page.goto('/login');
    await page.getByLabel('Email').fill(manager.email);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => text(page, '#error'), poll).toBe('Incorrect email or password');
    expect(new URL(page.url()).pathname).toBe('/login');
    expect(await page.evaluate(() => sessionStorage.getItem('checkin.session'))).toBeNull();
 }, TEST_TIMEOUT);

  it('when /login is given a next that leads off-site (backslash, tab, protocol-relative, absolute), then signing in stays on the hub', async () => {
    const { manager }: Org = await hub.makeOrg();
    const origin = new URL(server.url).origin;
    for (const next of ['/%5Cevil.example/', '/%09/evil.example/', '/\\/evil.example/', '//evil.example/', 'https://evil.example/', '/%5C%5Cevil.example', 'javascript:alert(1)']) {
      const page = await newPage();
      await page.goto(`/login?next=${next}`);
      await page.getByLabel('Email').fill(manager.email);
      await page.getByLabel('Password').fill(TEST_PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL((url) => url.pathname !== '/login', { waitUntil: 'commit' }).catch(() => undefined);
      await sleep(300);
      expect(new URL(page.url()).origin, next).toBe(origin);
      expect(new URL(page.url()).pathname, next).toBe('/board');
      await page.context().close();
   }
    // A path on the hub itself is still honoured.
    const page = await newPage();
    await page.goto('/login?next=%2Fboard%3Fteam%3D1');
    await page.getByLabel('Email').fill(manager.email);
    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.pathname === '/board' && url.search === '?team=1', { waitUntil: 'commit' });
 }, TEST_TIMEOUT);

  it('when a signed-in manager signs out, then the browser is back on /login and /board sends it to sign in again', async () => {
    const { manager }: Org = await hub.makeOrg();
    const page = await newPage();
    await signIn(page, manager, '/board');
    await expect.poll(() => text(page, '[data-who]'), poll).toBe(`${manager.email} (manager)`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((url) => url.pathname === '/login');
    expect(await page.evaluate(() => sessionStorage.getItem('checkin.session'))).toBeNull();

    await page.goto('/board');
    await page.waitForURL((url) => url.pathname === '/login' && url.searchParams.get('next') === '/board');
    // Signing in again goes back to where the browser was sent from.
    await page.getByLabel('Email').fill(manager.email);
    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => url.pathname === '/board', { waitUntil: 'commit' });
    await expect.poll(() => text(page, '#connection'), poll).toBe('Live');
 }, TEST_TIMEOUT);
});

describe('accessibility basics', () => {
  /** Inputs, selects and text areas on the page without an associated <label>. */
  const unlabelled = (page: Page) =>
    page.evaluate(() =>
      [...document.querySelectorAll('input, select, textarea')].filter((el) => el.type !== 'hidden' && !el.labels?.length).map((el) => el.outerHTML),
    );
  const fields = (page: Page) => page.evaluate(() => document.querySelectorAll('input:not([type=hidden]), select, textarea').length);

  it('when the sign-in, kiosk and board pages load, then every field has a label', async () => {
    const { manager }: Org = await hub.makeOrg();
    const page = await newPage();
    await page.goto('/login');
    expect(await fields(page)).toBe(3); // email, password and the language switch
    expect(await unlabelled(page)).toEqual([]);
    expect(await page.getByLabel('Email').getAttribute('type')).toBe('email');

    await page.goto('/kiosk');
    await page.locator('#pairing').waitFor({ state: 'visible' });
    expect(await fields(page)).toBe(9); // five pairing fields, the badge field, employee number and PIN, the language switch
    expect(await unlabelled(page)).toEqual([]);
    expect(await page.getByLabel('Badge', { exact: true }).getAttribute('id')).toBe('badge');

    await signIn(page, manager, '/board');
    await expect.poll(() => page.locator('#team option').count(), poll).toBe(1);
    expect(await fields(page)).toBe(9); // team, the two periods, from and to, the language switch, and the member dialog's check-in, check-out and reason
    expect(await unlabelled(page)).toEqual([]);
    expect(await page.getByLabel('Team', { exact: true }).evaluate((el) => el.tagName)).toBe('SELECT');
 }, TEST_TIMEOUT);

  it('when the kiosk is used from the keyboard, then each keypad key is reachable with Tab and works, and the confirmation is announced', async () => {
    const { alice, admin }: Org = await hub.makeOrg();
    const page = await newPage();
    await pairKiosk(page, admin);

    const keys = await page.locator('.keypad button').evaluateAll((buttons) => buttons.map((b) => (b as unknown as PageElement).dataset.key));
    expect(keys).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', 'B', '0', 'back', 'enter']);
    await page.locator('#badge').focus();
    const reached: (string | undefined)[] = [];
    for (let i = 0; i < keys.length; i++) {
      await page.keyboard.press('Tab');
      reached.push(await page.evaluate(() => document.activeElement?.dataset.key));
   }
    expect(reached).toEqual(keys);
    expect(await page.getByRole('button', { name: 'Delete last character' }).count()).toBe(1);

    // A key pressed from the keyboard types into the badge field, which keeps the focus for the reader.
    await page.locator('#badge').fill('');
    await page.locator('#badge').focus();
    await page.keyboard.press('Tab'); // "1"
    await page.keyboard.press('Space');
    expect(await page.locator('#badge').inputValue()).toBe('1');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('badge');

    const live = await page.locator('#confirm').evaluate((el) => [el.closest('[aria-live]')?.getAttribute('aria-live'), el.getAttribute('role')]);
    expect(['polite', 'assertive']).toContain(live[0]);
    expect(live[1]).toBe('status');
    await typeBadge(page, alice.badge_id!);
    await expect.poll(() => page.getByRole('status').filter({ hasText: `${alice.name}: Checked in` }).count(), poll).toBe(1);
    expect(await page.locator('#waiting').getAttribute('aria-live')).toBe('polite');
 }, TEST_TIMEOUT);
});
