// The screens around the realtime core, driven in Debian's Chromium as people use them: a correction asked for on
// /me, seen live and approved on the manager's board, then shown approved on /me with the day's hours changed and in
// the audit trail; an admin adding a person with a badge and a PIN in /admin and pairing a kiosk that person then
// uses; the home page and header for each role; web punches; every page at phone and laptop size (no horizontal
// scroll, contrast, keyboard focus, labels); English and German. Uncaught page errors fail every test (browser.ts).
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { attr, browserKit, poll, signIn, TEST_TIMEOUT, text } from './browser.ts';
import { http, withHubAndServer, type TestServer } from './socket-utils.ts';
import { TEST_PASSWORD, uid, type TestHub } from './utils.ts';

// The browser's globals, for the functions that run in the page (the project type-checks without the DOM library).
declare const document: any;
declare const window: any;
declare const getComputedStyle: any;
declare const innerWidth: number;

let hub: TestHub;
let server: TestServer;
const { newContext } = browserKit(() => server.url);

withHubAndServer({}, (h, s) => ((hub = h), (server = s)));

type Org = Awaited<ReturnType<TestHub['makeOrg']>>;
const api = (method: string, path: string, token: string, json?: unknown) => http(server.url, method, path, { token, json });
const dayBefore = (date: string) => new Date(Date.parse(`${date}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
const today = () => new Date().toISOString().slice(0, 10); // the hub runs on UTC in the tests, and so do the pages here

/** A page in a UTC browser (so the page's times and the hub's agree and no zone note shows). */
async function utcPage(opts: { width?: number; height?: number; locale?: string } = {}) {
  const context = await newContext({ timezoneId: 'UTC', viewport: { width: opts.width ?? 1024, height: opts.height ?? 900 }, locale: opts.locale ?? 'en-GB' });
  return context.newPage();
}

describe('a forgotten check-out, corrected with approval', () => {
  it('when an employee asks on /me for the check-out they forgot, then the manager’s open board shows it live, the manager approves, and /me shows it approved with the day’s hours, which the audit trail holds', async () => {
    const { team, manager, alice }: Org = await hub.makeOrg();
    const day = dayBefore(today());
    const admin = await hub.makeEmployee({ access: 'admin' });
    const created = await api('POST', '/attendance/', admin.token, { employee_id: alice.employee_id, attendance_date: day, check_in_time: '09:00:00' });
    expect(created.status).toBe(201);
    const recordId = created.body.record_id as number;
    // As the end of that day left it: still open, flagged.
    await hub.rows('update attendance set missing_check_out = true where record_id = ?', [recordId]);

    const board = await utcPage();
    await signIn(board, manager, '/board');
    await expect.poll(() => text(board, '#connection'), poll).toBe('Live');
    await expect.poll(() => board.locator('#team option:checked').textContent(), poll).toBe(team.team_name);
    await expect.poll(() => text(board, '#inbox-count'), poll).toBe('0');
    await board.evaluate(() => void (window.marker = 'no reload'));

    const me = await utcPage();
    await signIn(me, alice, '/me');
    await expect.poll(() => text(me, '#connection'), poll).toBe('Live');
    const row = me.locator(`#days tr[data-date="${day}"]`);
    await expect.poll(() => row.getAttribute('class'), poll).toBe('flagged');
    expect(await row.locator('td').nth(3).textContent()).toBe('0:00');
    await row.getByRole('button', { name: 'Request a correction' }).click();
    expect(await me.getByLabel('Day', { exact: true }).inputValue()).toBe(day);
    expect(await me.getByLabel('Check-in', { exact: true }).inputValue()).toBe('09:00');
    await me.getByLabel('Check-out', { exact: true }).fill('17:00');
    await me.getByLabel('Reason').fill('Forgot to badge out');
    await me.getByRole('button', { name: 'Send request' }).click();
    await expect.poll(() => text(me, '#correction-status'), poll).toBe('Your request was sent to your manager.');
    await expect.poll(() => attr(me, '#corrections tbody tr', 'data-status'), poll).toBe('pending');

    // The board, open all along, shows the request without a reload.
    const item = board.locator('#inbox-list li');
    await expect.poll(() => item.count(), poll).toBe(1);
    expect(await item.textContent()).toContain('Forgot to badge out');
    expect(await item.textContent()).toContain(day);
    expect(await text(board, '#inbox-count')).toBe('1');
    await board.getByLabel('Comment (optional)').fill('OK');
    await item.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => item.count(), poll).toBe(0);
    expect(await board.evaluate(() => window.marker)).toBe('no reload');

    // /me hears it (correction:resolved) and shows the request approved and the day's eight hours.
    await expect.poll(() => attr(me, '#corrections tbody tr', 'data-status'), poll).toBe('approved');
    expect(await me.locator('#corrections tbody tr td').nth(4).textContent()).toBe('OK');
    await expect.poll(() => row.locator('td').nth(3).textContent(), poll).toBe('8:00');
    expect(await row.getAttribute('class')).toBeNull();

    const [record] = await hub.rows<{ check_out_time: Date; worked_minutes: number; missing_check_out: boolean }>(
      'select check_out_time, worked_minutes, missing_check_out from attendance where record_id = ?',
      [recordId],
    );
    expect(record).toMatchObject({ worked_minutes: 480, missing_check_out: false });
    expect(new Date(record.check_out_time).toISOString()).toBe(`${day}T17:00:00.000Z`);
    const audit = await api('GET', `/audit/?entity_type=attendance&entity_id=${recordId}`, admin.token);
    expect(audit.status).toBe(200);
    const change = (audit.body as { action: string; actor_id: number; after: { check_out_time: string } }[]).find((a) => a.action === 'update');
    expect(change).toMatchObject({ actor_id: manager.employee_id });
    expect(change!.after.check_out_time).toBe(`${day}T17:00:00.000Z`);
 }, TEST_TIMEOUT);
});

describe('the admin console', () => {
  it('when an admin adds a person with a badge and a PIN in /admin and pairs a kiosk there, then the kiosk opened from its link takes that person’s badge, and their number and PIN', async () => {
    const team = await hub.makeTeam({ team_name: `Desk ${uid()}` });
    const admin = await hub.makeEmployee({ access: 'admin' });
    const page = await utcPage();
    await signIn(page, admin, '/assistant');
    await page.goto('/admin#employees');
    const id = uid();
    const person = { name: `Nora Neu ${id}`, email: `nora.${id}@example.com`, badge: `NB-${id}`.toUpperCase(), number: `E${id}`.toUpperCase().slice(0, 12) };
    await expect.poll(() => page.locator('#emp-team option').count(), poll).toBeGreaterThan(1);

    // The page checks first: an empty form is refused next to its fields, and nothing is sent.
    await page.locator('#emp-form').getByRole('button', { name: 'Save' }).click();
    expect(await text(page, '[data-error-for="emp-name"]')).not.toBe('');
    // The API's own refusal (a PIN of three digits passes no browser check here) shows next to its field.
    await page.getByLabel('Name', { exact: true }).fill(person.name);
    await page.getByLabel('Email', { exact: true }).fill(person.email);
    await page.getByLabel('Password (new or reset)').fill('Nora-Pass-2026');
    await page.locator('#emp-team').selectOption(String(team.team_id));
    await page.getByLabel('Badge', { exact: true }).fill(person.badge);
    await page.getByLabel('Employee number').fill(person.number);
    await page.locator('#emp-pin').evaluate((el: any) => el.removeAttribute('pattern'));
    await page.locator('#emp-pin').fill('123');
    await page.locator('#emp-form').getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => text(page, '[data-error-for="emp-pin"]'), poll).toMatch(/pin/i);
    expect(await hub.rows('select 1 from employees where email = ?', [person.email])).toEqual([]);

    await page.locator('#emp-pin').fill('4711');
    await page.locator('#emp-form').getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => text(page, '#admin-status'), poll).toBe(`Created: ${person.name}`);
    const listed = page.locator('#emp-table tbody tr').filter({ hasText: person.email });
    await expect.poll(() => listed.count(), poll).toBe(1);
    expect(await listed.locator('td').nth(5).textContent()).toBe('yes');
    const [stored] = await hub.rows<{ employee_id: number; team_id: number; badge_id: string; pin_hash: string | null }>(
      'select employee_id, team_id, badge_id, pin_hash from employees where email = ?',
      [person.email],
    );
    expect(stored).toMatchObject({ team_id: team.team_id, badge_id: person.badge });
    expect(stored.pin_hash).toMatch(/^\$2[aby]\$/);

    await page.getByRole('link', { name: 'Kiosks' }).click();
    await page.getByLabel('Kiosk name').fill(`Lobby ${id}`);
    await page.locator('#kiosk-team').selectOption(String(team.team_id));
    await page.getByRole('button', { name: 'Pair' }).click();
    await expect.poll(() => page.locator('#kiosk-paired').isVisible(), poll).toBe(true);
    const link = await attr(page, '#kiosk-link', 'href');
    expect(link).toMatch(/\/kiosk#token=/);
    await expect.poll(() => page.locator('#kiosk-table tbody tr').filter({ hasText: `Lobby ${id}` }).count(), poll).toBe(1);

    const kiosk = await utcPage();
    await kiosk.goto(link!);
    await kiosk.locator('#station').waitFor({ state: 'visible' });
    await expect.poll(() => text(kiosk, '#connection'), poll).toBe('Online');
    expect(await text(kiosk, '#kiosk-name')).toBe(`Lobby ${id}`);
    expect(new URL(kiosk.url()).hash).toBe(''); // the token does not stay in the address bar
    expect(await text(kiosk, '#clock-time')).toMatch(/^\d\d:\d\d$/);
    expect(await text(kiosk, '#clock-date')).toBe(today());
    await kiosk.locator('#badge').fill(person.badge);
    await kiosk.locator('#badge').press('Enter');
    await expect.poll(() => text(kiosk, '#confirm'), poll).toMatch(new RegExp(`^${person.name}: Checked in \\d\\d:\\d\\d — (Present|Late)$`));
    const punches = await hub.rows<{ action: string; source: string }>('select action, source from punches where employee_id = ?', [stored.employee_id]);
    expect(punches).toEqual([{ action: 'check_in', source: 'kiosk' }]);

    // A colleague without a badge at hand: employee number and PIN (checked online; a wrong PIN changes nothing).
    const colleague = await hub.makeEmployee({ team_id: team.team_id, badge_id: null });
    const number = `C${uid()}`.toUpperCase().slice(0, 12);
    expect((await api('PUT', `/employees/${colleague.employee_id}`, admin.token, { employee_number: number, pin: '2580' })).status).toBe(200);
    await kiosk.getByRole('button', { name: 'Use employee number and PIN' }).click();
    await kiosk.getByLabel('Employee number').fill(number);
    await kiosk.getByLabel('PIN', { exact: true }).fill('0000');
    await kiosk.getByRole('button', { name: 'Check in or out' }).click();
    await expect.poll(() => text(kiosk, '#confirm'), poll).toBe('Employee number or PIN is wrong.');
    expect(await hub.rows('select 1 from punches where employee_id = ?', [colleague.employee_id])).toEqual([]);
    await kiosk.getByLabel('Employee number').fill(number);
    await kiosk.getByLabel('PIN', { exact: true }).fill('2580');
    await kiosk.getByRole('button', { name: 'Check in or out' }).click();
    await expect.poll(() => text(kiosk, '#confirm'), poll).toMatch(new RegExp(`^${colleague.name}: Checked in \\d\\d:\\d\\d`));
    expect(await hub.rows('select action from punches where employee_id = ?', [colleague.employee_id])).toEqual([{ action: 'check_in' }]);
 }, TEST_TIMEOUT);

  it('when an admin edits a team in /admin to allow web punches, then its members get a check-in button on /me that punches with the server’s time', async () => {
    const { team, alice, admin }: Org = await hub.makeOrg();
    const me = await utcPage();
    await signIn(me, alice, '/me');
    await expect.poll(() => text(me, '#today-state'), poll).toBe('Not checked in yet');
    expect(await me.locator('#punch').isVisible()).toBe(false);

    const page = await utcPage();
    await signIn(page, admin, '/assistant');
    await page.goto('/admin#teams');
    const row = page.locator(`#team-table tr[data-team="${team.team_id}"]`);
    await row.getByRole('button', { name: 'Edit' }).click();
    expect(await page.getByLabel('Team name').inputValue()).toBe(team.team_name);
    await page.getByLabel('Web check-in on My attendance').check();
    await page.locator('#team-form').getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => text(page, '#admin-status'), poll).toBe(`Saved: ${team.team_name}`);
    expect(await hub.rows('select web_punch from teams where team_id = ?', [team.team_id])).toEqual([{ web_punch: true }]);

    await me.reload();
    await me.getByRole('button', { name: 'Check in' }).click();
    await expect.poll(() => attr(me, '#today-state', 'data-presence'), poll).toBe('in');
    expect(await text(me, '#today-state')).toMatch(/^In since \d\d:\d\d$/);
    expect(await me.getByRole('button', { name: 'Check out' }).count()).toBe(1);
    expect(await hub.rows('select source, action from punches where employee_id = ?', [alice.employee_id])).toEqual([{ source: 'web', action: 'check_in' }]);
 }, TEST_TIMEOUT);
});

describe('the board around the live table', () => {
  it('when a manager clicks a member of a team in another zone, then the day’s stays show in that zone, named, and a correction with a reason changes the record', async () => {
    const team = await hub.makeTeam({ timezone: 'Asia/Tokyo' });
    const manager = await hub.makeEmployee({ team_id: team.team_id, access: 'manager' });
    const member = await hub.makeEmployee({ team_id: team.team_id, name: `Mika Member ${uid()}` });
    const punch = await api('POST', '/attendance/check-in', manager.token, { employee_id: member.employee_id });
    expect(punch.status).toBe(200);
    const inAt = new Date(punch.body.record.check_in_time as string);
    const tokyo = (d: Date) => d.toLocaleTimeString('en-GB', { timeZone: 'Asia/Tokyo', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

    const board = await utcPage();
    await signIn(board, manager, '/board');
    await expect.poll(() => text(board, '#connection'), poll).toBe('Live');
    await expect.poll(() => text(board, '#zone'), poll).toBe('Times in Asia/Tokyo');
    await expect.poll(() => text(board, '#on-site li'), poll).toBe(`${member.name} — since ${tokyo(inAt)}`);
    await board.getByRole('button', { name: member.name }).click();
    const dialog = board.getByRole('dialog');
    await expect.poll(() => dialog.isVisible(), poll).toBe(true);
    expect(await text(board, '#member-zone')).toBe('Times in Asia/Tokyo');
    expect(await text(board, '#member-intervals li')).toBe(`${tokyo(inAt)} – still in`);

    // Out a minute after the check-in (in Tokyo's clock), with the reason in the record's notes.
    const outAt = new Date(Math.floor(inAt.getTime() / 60_000) * 60_000 + 60_000);
    await dialog.getByLabel('Check-out').fill(tokyo(outAt));
    await dialog.getByLabel('Reason').fill('Left for a client visit');
    await dialog.getByRole('button', { name: 'Save correction' }).click();
    await expect.poll(() => dialog.isVisible(), { ...poll, message: 'the dialog closes' }).toBe(false).catch(async (e: Error) => {
      const shown = await board.locator('#member-form').evaluate((f: any) => [f.check_in_time.value, f.check_out_time.value, f.reason.value, f.querySelector('[data-error-for="form"]').textContent]);
      throw new Error(`${e.message}: ${JSON.stringify(shown)} ${JSON.stringify(await hub.rows('select check_in_time, check_out_time, notes from attendance where employee_id = ?', [member.employee_id]))}`);
   });
    await expect.poll(() => board.locator(`#members tr[data-employee="${member.employee_id}"] [data-state]`).getAttribute('data-state'), poll).not.toBe('in');
    const [record] = await hub.rows<{ check_out_time: Date; notes: string }>('select check_out_time, notes from attendance where employee_id = ?', [member.employee_id]);
    expect(new Date(record.check_out_time).toISOString()).toBe(outAt.toISOString());
    expect(record.notes).toBe('Corrected: Left for a client visit');
    await expect.poll(() => board.locator('#on-site li').count(), poll).toBe(0);
 }, TEST_TIMEOUT);

  it('when a kiosk is paired on its own page, then the admin picks its team from a list, and it takes only that team’s badges', async () => {
    const { team, alice, admin }: Org = await hub.makeOrg();
    const other = await hub.makeOrg();
    const kiosk = await utcPage();
    await kiosk.goto('/kiosk');
    await kiosk.getByLabel('Admin email').fill(admin.email);
    await kiosk.getByLabel('Admin password').fill(TEST_PASSWORD);
    await kiosk.getByLabel('Admin password').press('Tab');
    await expect.poll(() => kiosk.locator('#pair-team option').count(), poll).toBeGreaterThan(2);
    await kiosk.getByLabel('Team', { exact: true }).selectOption({ label: team.team_name });
    const name = `Side door ${uid()}`;
    await kiosk.getByLabel('Kiosk name').fill(name);
    await kiosk.getByRole('button', { name: 'Pair' }).click();
    await expect.poll(() => text(kiosk, '#connection'), poll).toBe('Online');
    const [stored] = await hub.rows<{ team_id: number }>('select team_id from kiosks where name = ?', [name]);
    expect(stored.team_id).toBe(team.team_id);

    await kiosk.locator('#badge').fill(other.alice.badge_id!);
    await kiosk.locator('#badge').press('Enter');
    await expect.poll(() => text(kiosk, '#confirm'), poll).toMatch(/: This kiosk does not accept this badge\.$/);
    await kiosk.locator('#badge').fill(alice.badge_id!);
    await kiosk.locator('#badge').press('Enter');
    await expect.poll(() => text(kiosk, '#confirm'), poll).toMatch(new RegExp(`^${alice.name}: Checked in`));
 }, TEST_TIMEOUT);
});

describe('who sees what', () => {
  it('when each role signs in, then the home page and the header link only to the pages that role may open, and a page refused shows a message without an error', async () => {
    const { manager, alice, admin }: Org = await hub.makeOrg();
    const expected: [typeof alice, string[]][] = [
      [alice, ['/me', '/docs']],
      [manager, ['/me', '/board', '/docs']],
      [admin, ['/me', '/board', '/admin', '/assistant', '/kiosk', '/docs']],
    ];
    for (const [who, pages] of expected) {
      const page = await utcPage();
      await page.goto('/');
      expect(await page.getByRole('link', { name: 'Sign in' }).isVisible()).toBe(true);
      await signIn(page, who, who === alice ? '/me' : who === manager ? '/board' : '/assistant');
      await page.goto('/');
      await expect.poll(() => text(page, '#home-who'), poll).toMatch(new RegExp(`^Signed in as ${who.email} \\((employee|manager|admin)\\)\\.$`));
      expect(await page.locator('#home-pages a').evaluateAll((links: any[]) => links.map((a) => new URL(a.href).pathname))).toEqual(pages);
      expect(await page.locator('[data-nav] a').evaluateAll((links: any[]) => links.map((a) => new URL(a.href).pathname))).toEqual(pages);
      expect(await page.getByRole('button', { name: 'Sign out' }).isVisible()).toBe(true);
      if (pages.includes('/board')) {
        // Every team at a glance: admins only.
        await page.goto('/board');
        await expect.poll(() => text(page, '#connection'), poll).toBe('Live');
        if (who === admin) await expect.poll(() => page.locator('#overview-table tbody tr').count(), poll).toBeGreaterThan(0);
        expect(await page.locator('#overview').isVisible()).toBe(who === admin);
     }
      for (const refused of ['/board', '/admin', '/assistant'].filter((p) => !pages.includes(p))) {
        await page.goto(refused);
        await expect.poll(() => text(page, 'main h1'), poll).toBe('Not for your role');
     }
   }
 }, TEST_TIMEOUT);
});

/** Relative luminance and contrast (WCAG 2), run in the page over every element with text of its own. */
function lowContrast(page: Page) {
  return page.evaluate(() => {
    const rgb = (s: string) => (s.match(/[\d.]+/g) ?? []).map(Number);
    const lum = ([r, g, b]: number[]) => {
      const c = [r, g, b].map((v) => {
        const x = v / 255;
        return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
     });
      return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
   };
    const background = (el: any): number[] => {
      for (let e = el; e; e = e.parentElement) {
        const [r, g, b, a] = rgb(getComputedStyle(e).backgroundColor);
        if (a === undefined || a > 0.5) return [r, g, b];
     }
      return [255, 255, 255];
   };
    const bad: string[] = [];
    for (const el of document.querySelectorAll('body *')) {
      const own = [...el.childNodes].some((n: any) => n.nodeType === 3 && n.textContent.trim());
      if (!own || !el.getClientRects().length || el.closest('.sr-only, [hidden], dialog:not([open]), option, svg')) continue;
      const style = getComputedStyle(el);
      if (style.visibility === 'hidden' || Number(style.opacity) < 0.5) continue;
      const fg = lum(rgb(style.color));
      const bg = lum(background(el));
      const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
      const size = parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5)) bad.push(`${el.tagName}#${el.id}.${el.className}: ${ratio.toFixed(2)} "${el.textContent.trim().slice(0, 30)}"`);
   }
    return bad;
 });
}

/** Visible inputs, selects and text areas without a label. */
const unlabelled = (page: Page) =>
  page.evaluate(() => [...document.querySelectorAll('input, select, textarea')].filter((el: any) => el.type !== 'hidden' && el.getClientRects().length && !el.labels?.length).map((el: any) => el.outerHTML));

/** Tabs through the page: the visible controls never reached, and those reached without a visible focus mark. */
async function keyboardGaps(page: Page) {
  const controls: [string, string][] = await page.evaluate(() => {
    let n = 0;
    return [...document.querySelectorAll('a[href], button, input, select, textarea')]
      .filter((el: any) => el.getClientRects().length && !el.disabled && el.type !== 'hidden' && !el.closest('dialog:not([open])') && getComputedStyle(el).visibility !== 'hidden' && !(el.type === 'radio' && !el.checked))
      .map((el: any) => [(el.dataset.probe = String(n++)), el.outerHTML.slice(0, 80)]);
 });
  const reached = new Set<string>();
  const unmarked: string[] = [];
  // Date and time fields take a Tab per part (day, month, year), so up to four per control.
  for (let i = 0; i < controls.length * 4 + 5 && reached.size < controls.length; i++) {
    await page.keyboard.press('Tab');
    const seen = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el?.dataset?.probe) return null;
      if (el.dataset.probed) return { probe: el.dataset.probe, marked: true, html: '' };
      el.dataset.probed = '1';
      const s = getComputedStyle(el);
      return { probe: el.dataset.probe, marked: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2, html: el.outerHTML.slice(0, 80) };
   });
    if (!seen) continue;
    reached.add(seen.probe);
    if (!seen.marked) unmarked.push(seen.html);
 }
  return { missed: controls.filter(([c]) => !reached.has(c)).map(([, html]) => html), unmarked };
}

describe('every page, as phones and laptops show it', () => {
  it('when each page is open at 390×844 and at 1366×800, then nothing scrolls sideways, text meets WCAG AA contrast, every field has a label, and every control takes the keyboard focus visibly', async () => {
    const { admin }: Org = await hub.makeOrg();
    const pages = ['/', '/login', '/me', '/board', '/admin', '/assistant', '/kiosk'];
    for (const [width, height] of [[390, 844], [1366, 800]]) {
      const page = await utcPage({ width, height });
      await signIn(page, admin, '/assistant');
      for (const path of pages) {
        await page.goto(path);
        await page.waitForLoadState('networkidle');
        const where = `${path} at ${width}×${height}`;
        expect(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth), `${where}: no horizontal scroll`).toBe(true);
        expect(await lowContrast(page), `${where}: contrast`).toEqual([]);
        expect(await unlabelled(page), `${where}: labels`).toEqual([]);
        if (width === 1366) {
          const gaps = await keyboardGaps(page);
          expect(gaps, `${where}: keyboard`).toEqual({ missed: [], unmarked: [] });
       }
     }
      // The admin console's other sections, and a kiosk's station (paired) at this size too.
      for (const section of ['teams', 'kiosks', 'schedules', 'holidays', 'audit']) {
        await page.goto(`/admin#${section}`);
        await page.waitForLoadState('networkidle');
        expect(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth), `/admin#${section} at ${width}`).toBe(true);
        expect(await lowContrast(page), `/admin#${section} at ${width}: contrast`).toEqual([]);
     }
   }
 }, 180_000);
});

describe('languages', () => {
  it('when the browser prefers German, then the pages speak German, and the switch on the page changes to English and is remembered', async () => {
    const { alice }: Org = await hub.makeOrg();
    const page = await utcPage({ locale: 'de-DE' });
    await page.goto('/login');
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('de');
    expect(await text(page, 'main h1')).toBe('Anmelden');
    await page.getByLabel('E-Mail').fill(alice.email);
    await page.getByLabel('Passwort').fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Anmelden' }).click();
    await page.waitForURL((url) => url.pathname === '/me');
    await expect.poll(() => text(page, '#today-state'), poll).toBe('Noch nicht gekommen');
    expect(await text(page, '#today-h')).toMatch(/^Heute \d{4}-\d\d-\d\d$/);
    expect(await page.getByRole('button', { name: 'Abmelden' }).isVisible()).toBe(true);

    await page.getByLabel('Sprache').selectOption('en');
    await page.waitForLoadState('load');
    await expect.poll(() => text(page, '#today-state'), poll).toBe('Not checked in yet');
    await page.goto('/');
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en');
    expect(await page.getByLabel('Language').inputValue()).toBe('en');
 }, TEST_TIMEOUT);
});
