// The live team board: today's state of everyone in a team, updated over the socket without a reload. After a
// disconnect, or a gap in the team's change numbers, it takes a fresh snapshot by itself. Around it: the corrections
// inbox (live), a member's day with a correction form, who is on site, the summaries, the chart and the export, and
// for admins every team at a glance.
import { io } from '/socket.io/socket.io.esm.min.js';
import { api, bindForm, escapeHtml, hhmm, hours, onSessionEnded, requireRole, showConnection, socketAuth, t, zoneNote, zoneSuffix } from '/static/common.js';
import { boardState } from '/static/board-rules.js';

const me = await requireRole(['manager', 'admin']);
const $ = (sel) => document.querySelector(sel);
const picker = $('#team');
const conn = $('#connection');
const COUNT_ORDER = ['in', 'out', 'done', 'not_in_yet', 'overdue', 'remote', 'on_leave', 'absent', 'off'];
const label = (state) => t(`board.state.${state}`);

let teamId = null;
let zone = null;
let today = null;
let seq = 0;
let members = new Map();
let joining = null;
let inbox = new Map();

const dayBefore = (date) => new Date(Date.parse(`${date}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
const at = (iso) => hhmm(iso, zone);

/** A member's state by the server's own rule (board.rules.ts), for the changes that arrive between snapshots. */
const stateOf = (record, m, now = new Date()) =>
  boardState(record, { expected: m.expected, late_after: m.late_after ? new Date(m.late_after) : null, end: m.shift_end ? new Date(m.shift_end) : null }, now);

function render() {
  const rows = [...members.values()].sort((a, b) => a.name.localeCompare(b.name));
  const counts = Object.fromEntries(COUNT_ORDER.map((k) => [k, 0]));
  // Not in yet becomes overdue as the clock passes the shift's start + grace, without any event.
  for (const m of rows) if (m.state === 'not_in_yet' || m.state === 'overdue') m.state = stateOf(null, m);
  for (const m of rows) counts[m.state]++;
  const inNow = rows.filter((m) => m.presence === 'in').length;
  const late = rows.filter((m) => m.status === 'Late').length;
  $('#counts').innerHTML =
    `<div class="count" data-count="in_now"><b>${inNow}</b>${escapeHtml(t('board.count.in_now'))}</div>` +
    COUNT_ORDER.filter((k) => counts[k] > 0 || ['in', 'not_in_yet', 'overdue'].includes(k)).map((k) => `<div class="count" data-count="${k}"><b>${counts[k]}</b>${escapeHtml(label(k))}</div>`).join('') +
    `<div class="count" data-count="late"><b>${late}</b>${escapeHtml(t('board.count.late'))}</div>`;
  const stays = (m) => (m.intervals ?? []).map((i) => `${at(i.check_in_time)}–${i.check_out_time ? at(i.check_out_time) : ''}`).join(', ');
  $('#members').innerHTML = rows
    .map(
      (m) =>
        `<tr data-employee="${m.employee_id}" data-presence="${m.presence}"><td><button type="button" class="link" data-open="${m.employee_id}">${escapeHtml(m.name)}</button></td>` +
        `<td class="state-${m.state}" data-state="${m.state}">${escapeHtml(label(m.state))}` +
        `${m.status === 'Late' ? ` · ${escapeHtml(t('board.late_suffix'))}` : ''}${m.missing ? ` · ${escapeHtml(t('board.no_check_out'))}` : ''}</td><td>${at(m.check_in_time)}</td><td>${at(m.check_out_time)}</td><td>${stays(m)}</td><td>${m.worked_minutes ? hours(m.worked_minutes) : ''}</td></tr>`,
    )
    .join('');
  renderOnSite(rows);
}

/** Who is in the building now: the members whose last stay is open, with the time they came in. */
function renderOnSite(rows) {
  const here = rows.filter((m) => m.presence === 'in');
  $('#on-site').innerHTML = here.map((m) => `<li data-employee="${m.employee_id}">${escapeHtml(m.name)} — ${escapeHtml(t('board.since', { time: at(lastIn(m)) }))}</li>`).join('');
  $('#on-site-empty').hidden = here.length > 0;
}
const lastIn = (m) => m.intervals?.at(-1)?.check_in_time ?? m.check_in_time;

async function join() {
  if (!teamId || !socket.connected) return;
  const ack = await socket.timeout(5000).emitWithAck('board:join', { team_id: teamId }).catch(() => null);
  if (!ack) return;
  if (!ack.ok) {
    $('#board-error').textContent = ack.error.message;
    return;
  }
  $('#board-error').textContent = '';
  seq = ack.seq;
  zone = ack.timezone;
  today = ack.date;
  members = new Map(ack.members.map((m) => [m.employee_id, { ...m }]));
  $('#date').textContent = ack.date;
  $('#zone').textContent = zoneNote(zone);
  render();
}

function rejoin() {
  joining ??= join().finally(() => (joining = null));
  return joining;
}

const socket = io({ auth: socketAuth, transports: ['websocket'] });
socket.on('connect', () => {
  showConnection(conn, 'live');
  void rejoin(); // a fresh snapshot after every (re)connection
  void loadInbox();
});
socket.on('disconnect', () => showConnection(conn, 'reconnecting'));
socket.on('connect_error', () => showConnection(conn, 'reconnecting'));
onSessionEnded(socket);
socket.on('attendance:changed', (change) => {
  if (change.team_id !== teamId) return;
  if (change.seq > seq + 1) return void rejoin(); // missed something
  seq = Math.max(seq, change.seq);
  const current = members.get(change.employee.employee_id);
  if (!current) return void rejoin(); // someone new in the team
  const record = change.action === 'deleted' ? null : change.record;
  const date = change.record.attendance_date;
  if (date !== today) {
    // Someone still in from a stay begun the day before (a night shift) shows with it while it lasts, as on the server.
    if (current.attendance_date === today || date !== dayBefore(today)) return;
    if (record?.presence !== 'in') return current.attendance_date === date ? void rejoin() : undefined;
  }
  // Changes can arrive after a newer state of the same record (another instance numbered them later): keep the newest.
  if (record && current.updated_at && record.updated_at < current.updated_at) return;
  Object.assign(current, {
    state: stateOf(record, current),
    presence: record?.presence ?? 'out',
    status: record?.status ?? null,
    attendance_date: record?.attendance_date ?? null,
    check_in_time: record?.check_in_time ?? null,
    check_out_time: record?.check_out_time ?? null,
    intervals: record?.intervals ?? [],
    worked_minutes: record?.worked_minutes ?? 0,
    missing: Boolean(record?.missing_check_out),
    record_id: record?.record_id ?? null,
    updated_at: record?.updated_at ?? null,
  });
  render();
  if ($('#member-dialog').open && Number($('#member-dialog').dataset.employee) === current.employee_id) showMember(current.employee_id);
});
// Shift starts pass without an event: the states that depend on the clock are looked at again every half minute.
setInterval(render, 30_000);
socket.on('board:refresh', ({ team_id }) => team_id === teamId && void rejoin());
socket.on('summary:updated', (summary) => summary.team_id === teamId && showSummary(summary));
socket.on('attendance:missing_check_out', (info) => {
  if (info.team_id !== teamId) return;
  $('#notice').textContent = t('board.missing_notice', { count: info.records.length, date: info.date, names: info.records.map((r) => r.name).join(', ') });
});
socket.on('correction:requested', (c) => {
  if (c.team_id !== teamId || c.status !== 'pending') return;
  inbox.set(c.correction_id, c);
  renderInbox();
});
socket.on('correction:resolved', (c) => {
  if (!inbox.delete(c.correction_id)) return;
  renderInbox();
});

// ---- Corrections inbox ----
async function loadInbox() {
  if (!teamId) return;
  try {
    const items = await api(`/attendance/corrections/?status=pending&team_id=${teamId}&limit=200`);
    inbox = new Map((items.items ?? items).map((c) => [c.correction_id, c]));
    renderInbox();
  } catch (e) {
    $('#inbox-error').textContent = e.message;
  }
}

const change = (c) => {
  const parts = [];
  if (c.check_in_time) parts.push(`${t('corr.check_in')} ${timeOf(c.check_in_time)}`);
  if (c.check_out_time) parts.push(`${t('corr.check_out')} ${timeOf(c.check_out_time)}`);
  if (c.intervals?.length) parts.push(c.intervals.map((i) => `${timeOf(i.check_in_time)}–${timeOf(i.check_out_time)}`).join(', '));
  if (c.requested_status) parts.push(c.requested_status);
  return parts.join(' · ');
};
/** A requested time: local 'HH:MM[:SS]' as it was asked, or an instant in the team's zone. */
const timeOf = (v) => (!v ? '' : /^\d\d:\d\d/.test(v) ? v.slice(0, 5) : at(v));

function renderInbox() {
  const items = [...inbox.values()].sort((a, b) => a.created_at.localeCompare(b.created_at));
  $('#inbox-count').textContent = String(items.length);
  $('#inbox-empty').hidden = items.length > 0;
  $('#inbox-list').innerHTML = items
    .map((c) => {
      const own = c.employee_id === me.employee_id || c.requested_by === me.employee_id;
      return `<li data-correction="${c.correction_id}"><p><b>${escapeHtml(c.employee_name)}</b> · ${escapeHtml(c.attendance_date)} · ${escapeHtml(change(c))}</p>` +
        `<p class="muted">${escapeHtml(t('corr.reason'))}: ${escapeHtml(c.reason)}</p>` +
        (own && me.access !== 'admin'
          ? `<p class="muted">${escapeHtml(t('board.own_request'))}</p>`
          : `<div class="row"><div><label for="comment-${c.correction_id}">${escapeHtml(t('board.comment'))}</label><input id="comment-${c.correction_id}" maxlength="500"></div>` +
            `<div><button type="button" data-approve="${c.correction_id}">${escapeHtml(t('board.approve'))}</button> <button type="button" class="secondary" data-reject="${c.correction_id}">${escapeHtml(t('board.reject'))}</button></div></div>`) +
        '</li>';
    })
    .join('');
}

$('#inbox-list').addEventListener('click', async (event) => {
  const button = event.target.closest('button[data-approve], button[data-reject]');
  if (!button) return;
  const id = Number(button.dataset.approve ?? button.dataset.reject);
  const verb = button.dataset.approve ? 'approve' : 'reject';
  const comment = $(`#comment-${id}`)?.value.trim();
  $('#inbox-error').textContent = '';
  button.disabled = true;
  try {
    await api(`/attendance/corrections/${id}/${verb}`, { method: 'POST', json: comment ? { comment } : {} });
    inbox.delete(id);
    renderInbox();
    $('#notice').textContent = t(verb === 'approve' ? 'board.approved' : 'board.rejected');
  } catch (e) {
    $('#inbox-error').textContent = e.message;
    button.disabled = false;
  }
});

// ---- A member's day ----
function showMember(employeeId) {
  const m = members.get(employeeId);
  if (!m) return;
  const dialog = $('#member-dialog');
  dialog.dataset.employee = String(employeeId);
  $('#member-h').textContent = `${m.name} · ${m.attendance_date ?? today}`;
  $('#member-zone').textContent = zoneNote(zone);
  $('#member-intervals').innerHTML = (m.intervals ?? []).length
    ? m.intervals.map((i) => `<li>${at(i.check_in_time)} – ${i.check_out_time ? at(i.check_out_time) : escapeHtml(t('me.still_in'))}${i.auto_closed ? ` (${escapeHtml(t('me.auto_closed'))})` : ''}</li>`).join('')
    : `<li class="muted">${escapeHtml(t('board.no_stays'))}</li>`;
  $('#member-figures').textContent = `${label(m.state)}${m.status ? ` · ${m.status}` : ''} · ${t('col.worked')} ${hours(m.worked_minutes)}`;
  const form = $('#member-form');
  form.check_in_time.value = m.check_in_time ? at(m.check_in_time) : '';
  form.check_out_time.value = m.check_out_time ? at(m.check_out_time) : '';
  if (!dialog.open) dialog.showModal();
}

$('#members').addEventListener('click', (event) => {
  const button = event.target.closest('button[data-open]');
  if (button) showMember(Number(button.dataset.open));
});

bindForm($('#member-form'), async (form) => {
  const m = members.get(Number($('#member-dialog').dataset.employee));
  const reason = form.reason.value.trim();
  const times = {};
  if (form.check_in_time.value) times.check_in_time = `${form.check_in_time.value}:00`;
  if (form.check_out_time.value) times.check_out_time = `${form.check_out_time.value}:00`;
  // A correction by the manager is made at once and audited, with the reason in the record's notes.
  const notes = t('board.correction_note', { reason });
  if (m.record_id) await api(`/attendance/${m.record_id}`, { method: 'PUT', json: { ...times, notes } });
  else await api('/attendance/', { method: 'POST', json: { employee_id: m.employee_id, attendance_date: m.attendance_date ?? today, ...times, notes } });
  form.reset();
  $('#member-dialog').close();
  $('#notice').textContent = t('board.corrected', { name: m.name });
});

// ---- Summaries, chart, export ----
function showSummary(summary) {
  $('#yesterday').textContent = summary.yesterday_summary;
  $('#last-week').textContent = summary.last_week_summary;
}

/** Attendance rate per working day as bars (SVG) with a 0–100 % axis and dates, and a text table for screen readers. */
function drawChart(days) {
  const svg = $('#chart');
  const left = 44;
  const w = 600;
  const h = 160;
  const top = 8;
  const plot = w - left - 8;
  const bw = days.length ? plot / days.length : plot;
  const y = (rate) => top + h - (rate / 100) * h;
  svg.setAttribute('viewBox', `0 0 ${w} ${h + top + 34}`);
  const grid = [0, 50, 100]
    .map((r) => `<line x1="${left}" y1="${y(r)}" x2="${w - 8}" y2="${y(r)}" stroke="#d5d9e0"/><text x="${left - 6}" y="${y(r) + 4}" text-anchor="end" font-size="12" fill="#4a5361">${r}%</text>`)
    .join('');
  const bars = days
    .map((d, i) => {
      const bh = (d.rate / 100) * h;
      return `<rect x="${left + i * bw + 2}" y="${top + h - bh}" width="${Math.max(bw - 4, 1)}" height="${bh}" fill="#1f5fbf"><title>${d.date}: ${d.rate}%</title></rect>`;
    })
    .join('');
  const ticks = days.length ? [...new Set([0, Math.floor((days.length - 1) / 2), days.length - 1])] : [];
  const dates = ticks
    .map((i) => `<text x="${left + i * bw + bw / 2}" y="${top + h + 18}" text-anchor="${i === 0 && days.length > 1 ? 'start' : i === days.length - 1 && days.length > 1 ? 'end' : 'middle'}" font-size="12" fill="#4a5361">${days[i].date}</text>`)
    .join('');
  svg.innerHTML = grid + bars + `<line x1="${left}" y1="${top + h}" x2="${w - 8}" y2="${top + h}" stroke="#4a5361"/>` + dates +
    `<text x="${left + plot / 2}" y="${top + h + 32}" text-anchor="middle" font-size="12" fill="#4a5361">${escapeHtml(t('board.chart_x'))}</text>`;
  $('#chart-table').innerHTML = `<caption>${escapeHtml(t('board.chart_title'))}</caption><tr><th>${escapeHtml(t('col.date'))}</th><th>${escapeHtml(t('board.rate'))}</th><th>${escapeHtml(t('board.present_expected'))}</th></tr>${days
    .map((d) => `<tr><td>${d.date}</td><td>${d.rate}%</td><td>${d.present} / ${d.expected}</td></tr>`)
    .join('')}`;
  const avg = days.length ? days.reduce((a, d) => a + d.rate, 0) / days.length : 0;
  $('#chart-caption').textContent = days.length
    ? t('board.chart_caption', { days: days.length, from: days[0].date, to: days.at(-1).date, avg: avg.toFixed(1) })
    : t('board.chart_empty');
}

async function loadReports() {
  const daysBack = Number($('input[name="range"]:checked').value);
  try {
    const report = await api(`/reports/daily?team_id=${teamId}&days=${daysBack}`);
    drawChart(report.days);
  } catch (e) {
    $('#chart-caption').textContent = e.message;
  }
}

async function selectTeam(id) {
  if (teamId) socket.emit('board:leave', { team_id: teamId }, () => undefined);
  teamId = id;
  localStorage.setItem('checkin.board.team', String(id));
  members = new Map();
  inbox = new Map();
  render();
  renderInbox();
  await rejoin();
  void loadInbox();
  api(`/summarize_attendance/?team_id=${id}`).then(showSummary).catch((e) => ($('#yesterday').textContent = e.message));
  void loadReports();
  const last = new Date().toISOString().slice(0, 10);
  const first = new Date(Date.now() - 29 * 86400000).toISOString().slice(0, 10);
  $('#from').value ||= first;
  $('#to').value ||= last;
}

$('#export').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('#export-error').textContent = '';
  const params = new URLSearchParams({ team_id: String(teamId), date_from: $('#from').value, date_to: $('#to').value });
  try {
    const res = await api(`/attendance/export.csv?${params}`, { raw: true });
    const url = URL.createObjectURL(await res.blob());
    const a = Object.assign(document.createElement('a'), { href: url, download: `attendance-team${teamId}-${params.get('date_from')}-${params.get('date_to')}.csv` });
    a.click();
    URL.revokeObjectURL(url);
  } catch (e) {
    $('#export-error').textContent = e.message;
  }
});
for (const radio of document.querySelectorAll('input[name="range"]')) radio.addEventListener('change', loadReports);
picker.addEventListener('change', () => void selectTeam(Number(picker.value)));

// ---- Every team at a glance (admins) ----
async function loadOverview() {
  if (me.access !== 'admin') return;
  try {
    const { teams } = await api('/boards/');
    $('#overview').hidden = false;
    $('#overview-table tbody').innerHTML = teams
      .map((b) => `<tr data-team="${b.team_id}"><td><button type="button" class="link" data-team-open="${b.team_id}">${escapeHtml(b.team_name)}</button>${escapeHtml(zoneSuffix(b.timezone))}</td>` +
        `<td>${b.counts.in_now}</td><td>${b.counts.late}</td><td>${b.counts.not_in_yet}</td><td>${b.counts.overdue}</td><td>${b.counts.absent}</td><td>${b.members}</td></tr>`)
      .join('');
  } catch (e) {
    $('#board-error').textContent = e.message;
  }
}
$('#overview-table').addEventListener('click', (event) => {
  const button = event.target.closest('button[data-team-open]');
  if (!button) return;
  picker.value = button.dataset.teamOpen;
  void selectTeam(Number(button.dataset.teamOpen));
});
if (me.access === 'admin') setInterval(loadOverview, 60_000);

try {
  const teams = await api('/teams/?limit=1000');
  picker.innerHTML = teams.map((tm) => `<option value="${tm.team_id}">${escapeHtml(tm.team_name)}</option>`).join('');
  const saved = Number(localStorage.getItem('checkin.board.team'));
  const first = teams.find((tm) => tm.team_id === saved) ?? teams[0];
  void loadOverview();
  if (first) {
    picker.value = String(first.team_id);
    await selectTeam(first.team_id);
  } else {
    $('#board-error').textContent = t('board.no_team');
  }
} catch (e) {
  $('#board-error').textContent = e.message;
}
