import { readFileSync, readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import type { AppEnv } from '../../infra/http.ts';
import { boardRulesScript } from '../boards/index.ts';

const PUBLIC = fileURLToPath(new URL('./public', import.meta.url));
const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml' };
/** The pages' scripts and styles, read once: small, and the same for every request. */
const FILES = new Map(
  readdirSync(PUBLIC)
    .filter((f) => TYPES[extname(f)])
    .map((f) => [f, readFileSync(join(PUBLIC, f))]),
);

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

function page(opts: { title: string; body: string; script?: string; bodyClass?: string; nav?: boolean }) {
  const nav = opts.nav === false
    ? ''
    : `<header class="bar"><a href="/"><b>Check-in Hub</b></a><nav aria-label="Pages"><a href="/board">Team board</a><a href="/assistant">Assistant</a><a href="/kiosk">Kiosk</a><a href="/docs">API</a></nav><span class="who" data-who></span><button type="button" class="secondary" data-signout>Sign out</button></header>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(opts.title)} · Check-in Hub</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/app.css">
${opts.script ? `<script type="module" src="/static/${opts.script}"></script>` : ''}
</head>
<body${opts.bodyClass ? ` class="${opts.bodyClass}"` : ''}>
${nav}
<main>
${opts.body}
</main>
</body>
</html>`;
}

const HOME = page({
  title: 'Home',
  nav: false,
  body: `<h1>Check-in Hub</h1>
<div class="card">
  <p>Realtime attendance: kiosks at the door, live team boards, and an assistant for questions about the data.</p>
  <ul>
    <li><a href="/kiosk">Kiosk</a> — the badge station at the door (paired once by an admin).</li>
    <li><a href="/board">Team board</a> — today, live, for managers and admins, with reports and CSV export.</li>
    <li><a href="/assistant">Assistant</a> — ask questions in plain language (admins).</li>
    <li><a href="/docs">API documentation</a> — for integrations.</li>
  </ul>
  <p><a href="/login">Sign in</a></p>
</div>`,
});

const LOGIN = page({
  title: 'Sign in',
  nav: false,
  script: 'login.js',
  body: `<h1>Sign in</h1>
<form id="signin" class="card" autocomplete="on">
  <label for="email">Email</label>
  <input id="email" name="email" type="email" autocomplete="username" required autofocus>
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required>
  <p><button type="submit">Sign in</button></p>
  <p id="error" class="error" role="alert"></p>
</form>`,
});

const KIOSK = page({
  title: 'Kiosk',
  nav: false,
  bodyClass: 'kiosk',
  script: 'kiosk.js',
  body: `<section id="pairing" hidden>
  <h1>Pair this kiosk</h1>
  <form id="pair-form" class="card" style="color:var(--ink);text-align:left">
    <p>An admin signs in once; only the kiosk's own device token is kept on this device.</p>
    <label for="pair-email">Admin email</label><input id="pair-email" name="email" type="email" autocomplete="username">
    <label for="pair-password">Admin password</label><input id="pair-password" name="password" type="password" autocomplete="current-password">
    <label for="kiosk-name-input">Kiosk name</label><input id="kiosk-name-input" name="kiosk_name" value="Front door">
    <label for="team-id">Team id (optional: only that team's badges)</label><input id="team-id" name="team_id" inputmode="numeric" pattern="[0-9]*">
    <label for="device-token">…or paste an existing device token</label><input id="device-token" name="device_token" autocomplete="off">
    <p><button type="submit">Pair</button></p>
    <p id="pair-error" class="error" role="alert"></p>
  </form>
</section>
<section id="station" hidden>
  <h1 id="kiosk-name">Kiosk</h1>
  <form id="badge-form" autocomplete="off">
    <label for="badge" class="sr-only">Badge</label>
    <input id="badge" class="badge" name="badge" placeholder="Scan or type your badge" autocomplete="off" autocapitalize="characters" spellcheck="false" enterkeyhint="go">
  </form>
  <div id="confirm" class="confirm" role="status" aria-live="assertive">Ready — scan your badge</div>
  <div class="keypad" role="group" aria-label="On-screen keypad">
    ${['1', '2', '3', '4', '5', '6', '7', '8', '9', 'B', '0'].map((k) => `<button type="button" data-key="${k}">${k}</button>`).join('')}
    <button type="button" data-key="back" aria-label="Delete last character">⌫</button>
    <button type="button" data-key="enter" style="grid-column: span 3">Enter</button>
  </div>
  <div class="foot"><span id="connection" class="pill status-reconnecting" role="status">Connecting…</span><span id="waiting" aria-live="polite">All sent</span></div>
</section>`,
});

const BOARD = page({
  title: 'Team board',
  script: 'board.js',
  body: `<div class="row"><h1>Team board <span id="connection" class="pill status-reconnecting" role="status">Connecting…</span></h1></div>
<div class="row card">
  <div><label for="team">Team</label><select id="team"></select></div>
  <div><p class="muted">Today: <span id="date"></span></p></div>
</div>
<p id="board-error" class="error" role="alert"></p>
<section aria-label="Counts"><div id="counts" class="counts"></div></section>
<p id="notice" role="status"></p>
<div class="card"><p id="yesterday"></p><p id="last-week"></p></div>
<table><caption class="sr-only">Who is in today</caption><thead><tr><th>Name</th><th>State</th><th>First in</th><th>Last out</th><th>Stays</th><th>Worked</th></tr></thead><tbody id="members"></tbody></table>
<h2>Reports</h2>
<div class="card">
  <fieldset><legend>Period</legend>
    <label style="display:inline"><input type="radio" name="range" value="7" style="width:auto"> Last 7 days</label>
    <label style="display:inline"><input type="radio" name="range" value="30" checked style="width:auto"> Last 30 days</label>
  </fieldset>
  <svg id="chart" class="chart" role="img" aria-labelledby="chart-caption"></svg>
  <p id="chart-caption" class="muted"></p>
  <details><summary>Data table</summary><table id="chart-table"></table></details>
</div>
<form id="export" class="card row">
  <div><label for="from">From</label><input id="from" type="date" required></div>
  <div><label for="to">To</label><input id="to" type="date" required></div>
  <div><button type="submit">Export CSV</button></div>
  <p id="export-error" class="error" role="alert"></p>
</form>`,
});

const ASSISTANT = page({
  title: 'Assistant',
  script: 'assistant.js',
  body: `<h1>Assistant <span id="connection" class="pill status-reconnecting" role="status">Connecting…</span></h1>
<form id="ask" class="card">
  <label for="question">Your question</label>
  <textarea id="question" rows="2" maxlength="2000" placeholder="Who was late three times this month in Support?"></textarea>
  <p><button type="submit">Ask</button></p>
  <p class="muted">Try: <a href="#" data-example>Who was late three times this month in Support?</a> ·
  <a href="#" data-example>Show me departments with attendance issues last month</a> ·
  <a href="#" data-example>Who is in the office right now?</a></p>
  <p id="ask-error" class="error" role="alert"></p>
</form>
<div class="card">
  <h2>Steps</h2><ol id="steps" class="steps" aria-live="polite"></ol>
  <h2>Answer</h2><p id="answer" class="answer" aria-live="polite"></p>
  <div id="data"></div>
</div>
<h2>This session's questions</h2><ol id="history"></ol>`,
});

/** The pages people use: home, sign-in, kiosk, team board and assistant, with their scripts and styles. */
export function pageRoutes() {
  const app = new Hono<AppEnv>({ strict: false });
  for (const [path, body] of [['/', HOME], ['/login', LOGIN], ['/kiosk', KIOSK], ['/board', BOARD], ['/assistant', ASSISTANT]] as const) {
    app.get(path, (c) => c.html(body));
  }
  // The board's state rule, the server's own file (src/modules/boards/board.rules.ts) with its types stripped.
  app.get('/static/board-rules.js', (c) => c.body(boardRulesScript(), 200, { 'Content-Type': TYPES['.js'], 'Cache-Control': 'public, max-age=300' }));
  app.get('/static/:file', (c) => {
    const file = c.req.param('file');
    const body = FILES.get(file);
    if (!body) return c.json({ detail: 'Not found', code: 'not_found' }, 404);
    return c.body(body, 200, { 'Content-Type': TYPES[extname(file)], 'Cache-Control': 'public, max-age=300' });
  });
  return app;
}
