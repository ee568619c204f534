import { LANGUAGES, type Translate } from './i18n.ts';

/** The pages' HTML, in one language: plain HTML and one ES module each (no inline scripts). */
const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

type PageOptions = { title: string; body: string; script?: string; bodyClass?: string; bare?: boolean };

function languageSwitch(t: Translate, lang: string) {
  return `<label for="lang" class="sr-only">${esc(t('lang.label'))}</label><select id="lang" data-lang class="lang">${LANGUAGES.map(
    ([code, name]) => `<option value="${code}"${code === lang ? ' selected' : ''} lang="${code}">${esc(name)}</option>`,
  ).join('')}</select>`;
}

export function layout(t: Translate, lang: string, opts: PageOptions) {
  // The links are drawn by the page's script from the reader's role: no page links to what its reader may not open.
  const header = opts.bare
    ? ''
    : `<header class="bar"><a href="/" class="brand">Check-in Hub</a><nav aria-label="${esc(t('nav.label'))}" data-nav></nav>` +
      `<span class="who" data-who></span>${languageSwitch(t, lang)}<button type="button" class="secondary" data-signout hidden>${esc(t('nav.sign_out'))}</button></header>`;
  const footer = opts.bare ? `<footer class="foot-lang">${languageSwitch(t, lang)}</footer>` : '';
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(opts.title)} · Check-in Hub</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/app.css">
<script type="module" src="/static/${opts.script ?? 'chrome.js'}"></script>
</head>
<body${opts.bodyClass ? ` class="${opts.bodyClass}"` : ''}>
<a class="skip" href="#main">${esc(t('a11y.skip'))}</a>
${header}
<main id="main" tabindex="-1">
${opts.body}
</main>
${footer}
</body>
</html>`;
}

const field = (t: Translate, id: string, key: string, input: string) =>
  `<div class="field"><label for="${id}">${esc(t(key))}</label>${input}<p class="field-error" data-error-for="${id}" role="alert"></p></div>`;

export function pages(t: Translate, lang: string): Record<string, string> {
  const e = (key: string, vars?: Record<string, string | number>) => esc(t(key, vars));
  const L = (opts: PageOptions) => layout(t, lang, opts);
  return {
    '/': L({
      title: t('home.title'),
      script: 'home.js',
      body: `<h1>Check-in Hub</h1>
<div class="card">
  <p>${e('home.intro')}</p>
  <div id="signed-out" hidden><p><a href="/login" class="button">${e('home.sign_in')}</a></p><p><a href="/docs">${e('nav.api')}</a> — ${e('home.api_hint')}</p></div>
  <div id="signed-in" hidden><p id="home-who"></p><ul id="home-pages" class="links"></ul></div>
</div>`,
    }),

    '/login': L({
      title: t('login.title'),
      script: 'login.js',
      body: `<h1>${e('login.title')}</h1>
<form id="signin" class="card narrow" autocomplete="on">
  <label for="email">${e('login.email')}</label>
  <input id="email" name="email" type="email" autocomplete="username" required autofocus>
  <label for="password">${e('login.password')}</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required>
  <p><button type="submit">${e('login.submit')}</button></p>
  <p id="error" class="error" role="alert"></p>
</form>`,
    }),

    '/kiosk': L({
      title: t('kiosk.title'),
      bare: true,
      bodyClass: 'kiosk',
      script: 'kiosk.js',
      body: `<section id="pairing" hidden>
  <h1>${e('kiosk.pair_title')}</h1>
  <form id="pair-form" class="card pair">
    <p>${e('kiosk.pair_intro')}</p>
    <label for="pair-email">${e('kiosk.admin_email')}</label><input id="pair-email" name="email" type="email" autocomplete="username">
    <label for="pair-password">${e('kiosk.admin_password')}</label><input id="pair-password" name="password" type="password" autocomplete="current-password">
    <label for="kiosk-name-input">${e('kiosk.name')}</label><input id="kiosk-name-input" name="kiosk_name" value="${e('kiosk.default_name')}">
    <label for="pair-team">${e('kiosk.team')}</label><select id="pair-team" name="team_id"><option value="">${e('kiosk.all_teams')}</option></select>
    <p class="hint">${e('kiosk.team_hint')}</p>
    <label for="device-token">${e('kiosk.device_token')}</label><input id="device-token" name="device_token" autocomplete="off">
    <p><button type="submit">${e('kiosk.pair')}</button></p>
    <p id="pair-error" class="error" role="alert"></p>
  </form>
</section>
<section id="station" hidden>
  <div class="kiosk-head"><h1 id="kiosk-name">${e('kiosk.title')}</h1><p id="clock" class="clock" aria-label="${e('kiosk.clock')}"><time id="clock-time"></time> <span id="clock-date"></span></p></div>
  <form id="badge-form" autocomplete="off">
    <label for="badge" class="sr-only">${e('kiosk.badge')}</label>
    <input id="badge" class="badge" name="badge" placeholder="${e('kiosk.badge_placeholder')}" autocomplete="off" autocapitalize="characters" spellcheck="false" enterkeyhint="go">
  </form>
  <form id="pin-form" autocomplete="off" hidden>
    <div class="pin-row">
      <div><label for="pin-number">${e('kiosk.employee_number')}</label><input id="pin-number" name="employee_number" inputmode="numeric" autocomplete="off"></div>
      <div><label for="pin">${e('kiosk.pin')}</label><input id="pin" name="pin" type="password" inputmode="numeric" autocomplete="off" maxlength="8"></div>
    </div>
    <p><button type="submit">${e('kiosk.pin_submit')}</button></p>
  </form>
  <div id="confirm" class="confirm" role="status" aria-live="assertive">${e('kiosk.ready')}</div>
  <div class="keypad" role="group" aria-label="${e('kiosk.keypad')}">
    ${['1', '2', '3', '4', '5', '6', '7', '8', '9', 'B', '0'].map((k) => `<button type="button" data-key="${k}">${k}</button>`).join('')}
    <button type="button" data-key="back" aria-label="${e('kiosk.delete_last')}">⌫</button>
    <button type="button" data-key="enter" class="wide">${e('kiosk.enter')}</button>
  </div>
  <p><button type="button" id="pin-toggle" class="secondary" aria-pressed="false">${e('kiosk.use_pin')}</button></p>
  <div class="foot"><span id="connection" class="pill status-reconnecting" role="status">${e('conn.connecting')}</span><span id="waiting" aria-live="polite">${e('kiosk.all_sent')}</span></div>
</section>`,
    }),

    '/me': L({
      title: t('me.title'),
      script: 'me.js',
      body: `<h1>${e('me.title')} <span id="connection" class="pill status-reconnecting" role="status">${e('conn.connecting')}</span></h1>
<p id="me-error" class="error" role="alert"></p>
<p id="zone-note" class="muted"></p>
<section class="card" aria-labelledby="today-h">
  <h2 id="today-h">${e('me.today')} <span id="today-date"></span></h2>
  <p id="today-state" data-presence=""></p>
  <ul id="today-intervals" class="plain"></ul>
  <p>${e('me.hours_so_far')}: <b id="today-hours">0:00</b></p>
  <div id="punch" hidden><button type="button" id="punch-button"></button> <span class="muted">${e('me.server_time')}</span></div>
  <p id="punch-error" class="error" role="alert"></p>
</section>
<div class="row">
  <section class="card" aria-labelledby="week-h"><h2 id="week-h">${e('me.this_week')}</h2><dl id="week" class="totals"></dl></section>
  <section class="card" aria-labelledby="month-h"><h2 id="month-h">${e('me.this_month')}</h2><dl id="month" class="totals"></dl></section>
</div>
<section class="card" aria-labelledby="days-h">
  <h2 id="days-h">${e('me.days')}</h2>
  <div class="scroll"><table id="days"><thead><tr><th>${e('col.date')}</th><th>${e('col.status')}</th><th>${e('col.stays')}</th><th>${e('col.worked')}</th><th>${e('col.overtime')}</th><th><span class="sr-only">${e('col.actions')}</span></th></tr></thead><tbody></tbody></table></div>
</section>
<section class="card" aria-labelledby="corr-h">
  <h2 id="corr-h">${e('me.my_corrections')}</h2>
  <div class="scroll"><table id="corrections"><thead><tr><th>${e('col.date')}</th><th>${e('col.change')}</th><th>${e('col.reason')}</th><th>${e('col.state')}</th><th>${e('col.comment')}</th></tr></thead><tbody></tbody></table></div>
  <p id="corrections-empty" class="muted" hidden>${e('me.no_corrections')}</p>
</section>
<section class="card" aria-labelledby="request-h">
  <h2 id="request-h">${e('me.request_title')}</h2>
  <form id="correction-form" novalidate>
    <div class="row">
      ${field(t, 'c-date', 'corr.date', '<input id="c-date" name="attendance_date" type="date" required>')}
      ${field(t, 'c-in', 'corr.check_in', '<input id="c-in" name="check_in_time" type="time">')}
      ${field(t, 'c-out', 'corr.check_out', '<input id="c-out" name="check_out_time" type="time">')}
    </div>
    ${field(t, 'c-reason', 'corr.reason', '<textarea id="c-reason" name="reason" rows="2" maxlength="500" required></textarea>')}
    <p class="hint">${e('corr.times_hint')}</p>
    <p><button type="submit">${e('corr.send')}</button></p>
    <p id="correction-status" role="status"></p>
    <p class="error" data-error-for="form" role="alert"></p>
  </form>
</section>
<section class="card" aria-labelledby="pin-h">
  <h2 id="pin-h">${e('me.pin_title')}</h2>
  <p class="hint">${e('me.pin_hint')}</p>
  <form id="my-pin-form" novalidate>
    <div class="row">
      ${field(t, 'my-pin', 'me.new_pin', '<input id="my-pin" name="pin" type="password" inputmode="numeric" pattern="[0-9]{4,8}" minlength="4" maxlength="8" autocomplete="off" required>')}
      ${field(t, 'my-pin-password', 'me.current_password', '<input id="my-pin-password" name="current_password" type="password" autocomplete="current-password" required>')}
    </div>
    <p><button type="submit">${e('me.save_pin')}</button></p>
    <p id="pin-status" role="status"></p>
    <p class="error" data-error-for="form" role="alert"></p>
  </form>
</section>`,
    }),

    '/board': L({
      title: t('board.title'),
      script: 'board.js',
      body: `<div class="row"><h1>${e('board.title')} <span id="connection" class="pill status-reconnecting" role="status">${e('conn.connecting')}</span></h1></div>
<section id="overview" class="card" aria-labelledby="overview-h" hidden>
  <h2 id="overview-h">${e('board.overview')}</h2>
  <div class="scroll"><table id="overview-table"><thead><tr><th>${e('col.team')}</th><th>${e('board.count.in_now')}</th><th>${e('board.count.late')}</th><th>${e('board.state.not_in_yet')}</th><th>${e('board.state.overdue')}</th><th>${e('board.state.absent')}</th><th>${e('col.members')}</th></tr></thead><tbody></tbody></table></div>
</section>
<div class="row card">
  <div><label for="team">${e('board.team')}</label><select id="team"></select></div>
  <div><p class="muted">${e('board.today')}: <span id="date"></span> <span id="zone"></span></p></div>
</div>
<p id="board-error" class="error" role="alert"></p>
<section aria-label="${e('board.counts')}"><div id="counts" class="counts"></div></section>
<p id="notice" role="status"></p>
<section id="inbox" class="card" aria-labelledby="inbox-h">
  <h2 id="inbox-h">${e('board.inbox')} <span id="inbox-count" class="pill">0</span></h2>
  <p id="inbox-empty" class="muted">${e('board.inbox_empty')}</p>
  <ul id="inbox-list" class="inbox"></ul>
  <p id="inbox-error" class="error" role="alert"></p>
</section>
<div class="scroll"><table><caption class="sr-only">${e('board.who_is_in')}</caption><thead><tr><th>${e('col.name')}</th><th>${e('col.state')}</th><th>${e('col.first_in')}</th><th>${e('col.last_out')}</th><th>${e('col.stays')}</th><th>${e('col.worked')}</th></tr></thead><tbody id="members"></tbody></table></div>
<section class="card" aria-labelledby="onsite-h">
  <h2 id="onsite-h">${e('board.on_site')}</h2>
  <ul id="on-site" class="plain"></ul>
  <p id="on-site-empty" class="muted">${e('board.on_site_empty')}</p>
</section>
<section class="card" aria-labelledby="summary-h">
  <h2 id="summary-h">${e('board.summaries')}</h2>
  <p><b>${e('board.yesterday')}:</b> <span id="yesterday"></span></p>
  <p><b>${e('board.last_week')}:</b> <span id="last-week"></span></p>
</section>
<h2>${e('board.reports')}</h2>
<div class="card">
  <fieldset><legend>${e('board.period')}</legend>
    <label class="inline"><input type="radio" name="range" value="7"> ${e('board.last_7')}</label>
    <label class="inline"><input type="radio" name="range" value="30" checked> ${e('board.last_30')}</label>
  </fieldset>
  <svg id="chart" class="chart" role="img" aria-labelledby="chart-caption"></svg>
  <p id="chart-caption" class="muted"></p>
  <details><summary>${e('board.data_table')}</summary><div class="scroll"><table id="chart-table"></table></div></details>
</div>
<form id="export" class="card row">
  <div><label for="from">${e('board.from')}</label><input id="from" type="date" required></div>
  <div><label for="to">${e('board.to')}</label><input id="to" type="date" required></div>
  <div><button type="submit">${e('board.export')}</button></div>
  <p id="export-error" class="error" role="alert"></p>
</form>
<dialog id="member-dialog" aria-labelledby="member-h">
  <form method="dialog" class="close-row"><button type="submit" class="secondary" aria-label="${e('common.close')}">×</button></form>
  <h2 id="member-h"></h2>
  <p id="member-zone" class="muted"></p>
  <ul id="member-intervals" class="plain"></ul>
  <p id="member-figures"></p>
  <form id="member-form" novalidate>
    <h3>${e('board.correct_day')}</h3>
    <div class="row">
      ${field(t, 'm-in', 'corr.check_in', '<input id="m-in" name="check_in_time" type="time">')}
      ${field(t, 'm-out', 'corr.check_out', '<input id="m-out" name="check_out_time" type="time">')}
    </div>
    ${field(t, 'm-reason', 'corr.reason', '<textarea id="m-reason" name="reason" rows="2" maxlength="500" required></textarea>')}
    <p><button type="submit">${e('board.save_correction')}</button></p>
    <p class="error" data-error-for="form" role="alert"></p>
  </form>
</dialog>`,
    }),

    '/admin': L({
      title: t('admin.title'),
      script: 'admin.js',
      body: `<h1>${e('admin.title')}</h1>
<nav class="tabs" aria-label="${e('admin.sections')}">
  ${['employees', 'teams', 'kiosks', 'schedules', 'holidays', 'audit'].map((s) => `<a href="#${s}" data-tab="${s}">${e(`admin.${s}`)}</a>`).join('')}
</nav>
<p id="admin-error" class="error" role="alert"></p>
<p id="admin-status" role="status"></p>

<section id="employees" data-section class="card" aria-labelledby="employees-h">
  <h2 id="employees-h">${e('admin.employees')}</h2>
  <div class="row"><div>${'<label for="emp-filter">' + e('admin.search') + '</label><input id="emp-filter" type="search">'}</div></div>
  <div class="scroll"><table id="emp-table"><thead><tr><th>${e('col.name')}</th><th>${e('admin.email')}</th><th>${e('col.team')}</th><th>${e('admin.access')}</th><th>${e('admin.badge')}</th><th>${e('admin.pin')}</th><th>${e('admin.active')}</th><th><span class="sr-only">${e('col.actions')}</span></th></tr></thead><tbody></tbody></table></div>
  <h3 id="emp-form-h">${e('admin.add_employee')}</h3>
  <form id="emp-form" novalidate>
    <input type="hidden" name="employee_id">
    <div class="row">
      ${field(t, 'emp-name', 'admin.name', '<input id="emp-name" name="name" required maxlength="200">')}
      ${field(t, 'emp-email', 'admin.email', '<input id="emp-email" name="email" type="email" required>')}
      ${field(t, 'emp-password', 'admin.password', '<input id="emp-password" name="password" type="password" autocomplete="new-password" minlength="8">')}
    </div>
    <div class="row">
      ${field(t, 'emp-team', 'col.team', '<select id="emp-team" name="team_id" data-teams></select>')}
      ${field(t, 'emp-access', 'admin.access', '<select id="emp-access" name="access"><option value="employee">employee</option><option value="manager">manager</option><option value="admin">admin</option></select>')}
      ${field(t, 'emp-role', 'admin.role', '<input id="emp-role" name="role" maxlength="100">')}
    </div>
    <div class="row">
      ${field(t, 'emp-badge', 'admin.badge', '<input id="emp-badge" name="badge_id" maxlength="64" autocomplete="off">')}
      ${field(t, 'emp-number', 'admin.employee_number', '<input id="emp-number" name="employee_number" maxlength="32" autocomplete="off">')}
      ${field(t, 'emp-pin', 'admin.pin', '<input id="emp-pin" name="pin" type="password" inputmode="numeric" pattern="[0-9]{4,8}" maxlength="8" autocomplete="new-password">')}
    </div>
    <label class="inline"><input type="checkbox" name="active" id="emp-active" checked> ${e('admin.active')}</label>
    <p class="hint">${e('admin.employee_hint')}</p>
    <p><button type="submit" id="emp-submit">${e('admin.save')}</button> <button type="reset" class="secondary">${e('admin.new')}</button></p>
    <p class="error" data-error-for="form" role="alert"></p>
  </form>
  <div id="emp-schedules" hidden>
    <h3>${e('admin.assignments')}</h3>
    <ul id="assignment-list" class="plain"></ul>
    <form id="assign-form" class="row" novalidate>
      ${field(t, 'assign-schedule', 'admin.schedule', '<select id="assign-schedule" name="schedule_id" data-schedules required></select>')}
      ${field(t, 'assign-from', 'admin.valid_from', '<input id="assign-from" name="valid_from" type="date" required>')}
      <div><button type="submit">${e('admin.assign')}</button></div>
      <p class="error" data-error-for="form" role="alert"></p>
    </form>
  </div>
</section>

<section id="teams" data-section class="card" aria-labelledby="teams-h" hidden>
  <h2 id="teams-h">${e('admin.teams')}</h2>
  <div class="scroll"><table id="team-table"><thead><tr><th>${e('col.team')}</th><th>${e('admin.timezone')}</th><th>${e('admin.workday_start')}</th><th>${e('admin.grace')}</th><th>${e('admin.web_punch')}</th><th><span class="sr-only">${e('col.actions')}</span></th></tr></thead><tbody></tbody></table></div>
  <h3>${e('admin.team_form')}</h3>
  <form id="team-form" novalidate>
    <input type="hidden" name="team_id">
    <div class="row">
      ${field(t, 'team-name', 'admin.team_name', '<input id="team-name" name="team_name" required maxlength="100">')}
      ${field(t, 'team-tz', 'admin.timezone', '<input id="team-tz" name="timezone" placeholder="Europe/Berlin" list="zones">')}
      ${field(t, 'team-schedule', 'admin.schedule', '<select id="team-schedule" name="schedule_id" data-schedules data-none></select>')}
    </div>
    <div class="row">
      ${field(t, 'team-start', 'admin.workday_start', '<input id="team-start" name="workday_start" type="time">')}
      ${field(t, 'team-grace', 'admin.grace', '<input id="team-grace" name="grace_minutes" type="number" min="0" max="240">')}
      ${field(t, 'team-weekly', 'admin.weekly_hours', '<input id="team-weekly" name="weekly_hours" type="number" min="0" max="168" step="0.5">')}
    </div>
    <div class="row">
      ${field(t, 'team-missing', 'admin.missing_check_out', `<select id="team-missing" name="missing_check_out"><option value="flag">${e('admin.missing.flag')}</option><option value="close_at_shift_end">${e('admin.missing.close')}</option></select>`)}
      <div><label class="inline"><input type="checkbox" name="web_punch" id="team-web-punch"> ${e('admin.web_punch')}</label></div>
    </div>
    <p><button type="submit">${e('admin.save')}</button> <button type="reset" class="secondary">${e('admin.new')}</button></p>
    <p class="error" data-error-for="form" role="alert"></p>
  </form>
  <datalist id="zones"></datalist>
</section>

<section id="kiosks" data-section class="card" aria-labelledby="kiosks-h" hidden>
  <h2 id="kiosks-h">${e('admin.kiosks')}</h2>
  <div class="scroll"><table id="kiosk-table"><thead><tr><th>${e('col.name')}</th><th>${e('col.team')}</th><th>${e('admin.last_seen')}</th><th>${e('admin.online')}</th><th><span class="sr-only">${e('col.actions')}</span></th></tr></thead><tbody></tbody></table></div>
  <h3>${e('admin.pair_kiosk')}</h3>
  <form id="kiosk-form" class="row" novalidate>
    ${field(t, 'kiosk-name', 'admin.kiosk_name', '<input id="kiosk-name" name="name" required maxlength="100">')}
    ${field(t, 'kiosk-team', 'col.team', '<select id="kiosk-team" name="team_id" data-teams></select>')}
    <div><button type="submit">${e('admin.pair')}</button></div>
    <p class="error" data-error-for="form" role="alert"></p>
  </form>
  <div id="kiosk-paired" class="notice" hidden>
    <p>${e('admin.kiosk_token_once')}</p>
    <p><label for="kiosk-token">${e('admin.device_token')}</label><input id="kiosk-token" readonly></p>
    <p>${e('admin.kiosk_link')} <a id="kiosk-link" href="/kiosk"></a></p>
  </div>
</section>

<section id="schedules" data-section class="card" aria-labelledby="schedules-h" hidden>
  <h2 id="schedules-h">${e('admin.schedules')}</h2>
  <div class="scroll"><table id="schedule-table"><thead><tr><th>${e('col.name')}</th><th>${e('admin.shifts')}</th><th>${e('admin.grace')}</th><th><span class="sr-only">${e('col.actions')}</span></th></tr></thead><tbody></tbody></table></div>
  <h3>${e('admin.add_schedule')}</h3>
  <form id="schedule-form" novalidate>
    <div class="row">
      ${field(t, 'sched-name', 'admin.schedule_name', '<input id="sched-name" name="name" required maxlength="100">')}
      ${field(t, 'sched-start', 'admin.shift_start', '<input id="sched-start" name="start" type="time" required value="09:00">')}
      ${field(t, 'sched-end', 'admin.shift_end', '<input id="sched-end" name="end" type="time" required value="17:00">')}
      ${field(t, 'sched-grace', 'admin.grace', '<input id="sched-grace" name="grace_minutes" type="number" min="0" max="240" value="5">')}
    </div>
    <fieldset><legend>${e('admin.weekdays')}</legend>${[1, 2, 3, 4, 5, 6, 7].map((d) => `<label class="inline"><input type="checkbox" name="weekday" value="${d}"${d <= 5 ? ' checked' : ''}> ${e(`weekday.${d}`)}</label>`).join(' ')}</fieldset>
    <p><button type="submit">${e('admin.save')}</button></p>
    <p class="error" data-error-for="form" role="alert"></p>
  </form>
</section>

<section id="holidays" data-section class="card" aria-labelledby="holidays-h" hidden>
  <h2 id="holidays-h">${e('admin.holidays')}</h2>
  <div class="scroll"><table id="holiday-table"><thead><tr><th>${e('col.date')}</th><th>${e('col.name')}</th><th>${e('col.team')}</th><th><span class="sr-only">${e('col.actions')}</span></th></tr></thead><tbody></tbody></table></div>
  <form id="holiday-form" class="row" novalidate>
    ${field(t, 'hol-date', 'col.date', '<input id="hol-date" name="date" type="date" required>')}
    ${field(t, 'hol-name', 'admin.holiday_name', '<input id="hol-name" name="name" required maxlength="100">')}
    ${field(t, 'hol-team', 'col.team', '<select id="hol-team" name="team_id" data-teams></select>')}
    <div><button type="submit">${e('admin.add')}</button></div>
    <p class="error" data-error-for="form" role="alert"></p>
  </form>
</section>

<section id="audit" data-section class="card" aria-labelledby="audit-h" hidden>
  <h2 id="audit-h">${e('admin.audit')}</h2>
  <form id="audit-form" class="row" novalidate>
    ${field(t, 'audit-type', 'admin.entity_type', '<select id="audit-type" name="entity_type"><option value=""></option><option>attendance</option><option>attendance_correction</option><option>employee</option><option>team</option><option>kiosk</option><option>schedule</option><option>holiday</option></select>')}
    ${field(t, 'audit-from', 'board.from', '<input id="audit-from" name="date_from" type="date">')}
    ${field(t, 'audit-to', 'board.to', '<input id="audit-to" name="date_to" type="date">')}
    <div><button type="submit">${e('admin.filter')}</button></div>
    <p class="error" data-error-for="form" role="alert"></p>
  </form>
  <div class="scroll"><table id="audit-table"><thead><tr><th>${e('admin.when')}</th><th>${e('admin.actor')}</th><th>${e('admin.action')}</th><th>${e('admin.entity')}</th><th>${e('admin.change')}</th></tr></thead><tbody></tbody></table></div>
  <p><button type="button" id="audit-more" class="secondary" hidden>${e('admin.more')}</button></p>
</section>`,
    }),

    '/assistant': L({
      title: t('assistant.title'),
      script: 'assistant.js',
      body: `<h1>${e('assistant.title')} <span id="connection" class="pill status-reconnecting" role="status">${e('conn.connecting')}</span></h1>
<form id="ask" class="card">
  <label for="question">${e('assistant.question')}</label>
  <textarea id="question" rows="2" maxlength="2000" placeholder="${e('assistant.example1')}"></textarea>
  <p><button type="submit">${e('assistant.ask')}</button></p>
  <p class="muted">${e('assistant.try')}: <a href="#" data-example>${e('assistant.example1')}</a> ·
  <a href="#" data-example>${e('assistant.example2')}</a> ·
  <a href="#" data-example>${e('assistant.example3')}</a></p>
  <p id="ask-error" class="error" role="alert"></p>
</form>
<div class="card">
  <h2>${e('assistant.steps')}</h2><ol id="steps" class="steps" aria-live="polite"></ol>
  <h2>${e('assistant.answer')}</h2><div id="answer" class="answer" aria-live="polite"></div>
  <div id="data" class="scroll"></div>
</div>
<h2>${e('assistant.history')}</h2><ol id="history"></ol>`,
    }),
  };
}
