// The live team board: today's state of everyone in a team, updated over the socket without a reload.
// After a disconnect, or a gap in the team's change numbers, it takes a fresh snapshot by itself.
import { io } from '/socket.io/socket.io.esm.min.js';
import { api, escapeHtml, hhmm, onSessionEnded, requireRole, showConnection, socketAuth } from '/static/common.js';
import { boardState } from '/static/board-rules.js';

requireRole(['manager', 'admin']);
const $ = (sel) => document.querySelector(sel);
const picker = $('#team');
const conn = $('#connection');
const STATE_LABEL = {
  in: 'In', out: 'Out (back later)', done: 'Done', not_in_yet: 'Not in yet', overdue: 'Overdue', remote: 'Remote', on_leave: 'On leave', absent: 'Absent', off: 'Off today',
};
const COUNT_ORDER = ['in', 'out', 'done', 'not_in_yet', 'overdue', 'remote', 'on_leave', 'absent', 'off'];

let teamId = null;
let seq = 0;
let members = new Map();
let joining = null;

const dayBefore = (date) => new Date(Date.parse(`${date}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);

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
    `<div class="count" data-count="in_now"><b>${inNow}</b>On site now</div>` +
    COUNT_ORDER.filter((k) => counts[k] > 0 || ['in', 'not_in_yet', 'overdue'].includes(k)).map((k) => `<div class="count" data-count="${k}"><b>${counts[k]}</b>${STATE_LABEL[k]}</div>`).join('') +
    `<div class="count" data-count="late"><b>${late}</b>Late today</div>`;
  const stays = (m) => (m.intervals ?? []).map((i) => `${hhmm(i.check_in_time)}–${i.check_out_time ? hhmm(i.check_out_time) : ''}`).join(', ');
  const worked = (m) => (m.worked_minutes ? `${Math.floor(m.worked_minutes / 60)} h ${String(m.worked_minutes % 60).padStart(2, '0')}` : '');
  $('#members').innerHTML = rows
    .map(
      (m) =>
        `<tr data-employee="${m.employee_id}" data-presence="${m.presence}"><td>${escapeHtml(m.name)}</td><td class="state-${m.state}" data-state="${m.state}">${STATE_LABEL[m.state]}` +
        `${m.status === 'Late' ? ' · late' : ''}${m.missing ? ' · no check-out' : ''}</td><td>${hhmm(m.check_in_time)}</td><td>${hhmm(m.check_out_time)}</td><td>${stays(m)}</td><td>${worked(m)}</td></tr>`,
    )
    .join('');
}

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
  members = new Map(ack.members.map((m) => [m.employee_id, { ...m }]));
  $('#date').textContent = ack.date;
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
});
socket.on('disconnect', () => showConnection(conn, 'reconnecting'));
socket.on('connect_error', () => showConnection(conn, 'reconnecting'));
onSessionEnded(socket, '/board');
socket.on('attendance:changed', (change) => {
  if (change.team_id !== teamId) return;
  if (change.seq > seq + 1) return void rejoin(); // missed something
  seq = Math.max(seq, change.seq);
  const current = members.get(change.employee.employee_id);
  if (!current) return void rejoin(); // someone new in the team
  const record = change.action === 'deleted' ? null : change.record;
  const today = $('#date').textContent;
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
    updated_at: record?.updated_at ?? null,
  });
  render();
});
// Shift starts pass without an event: the states that depend on the clock are looked at again every half minute.
setInterval(render, 30_000);
socket.on('board:refresh', ({ team_id }) => team_id === teamId && void rejoin());
socket.on('summary:updated', (summary) => summary.team_id === teamId && showSummary(summary));
socket.on('attendance:missing_check_out', (info) => {
  if (info.team_id !== teamId) return;
  $('#notice').textContent = `${info.records.length} without a check-out on ${info.date}: ${info.records.map((r) => r.name).join(', ')}`;
});

function showSummary(summary) {
  $('#yesterday').textContent = summary.yesterday_summary;
  $('#last-week').textContent = summary.last_week_summary;
}

/** Attendance rate per working day as bars (SVG), with a text table for screen readers. */
function drawChart(days) {
  const svg = $('#chart');
  const w = 600;
  const h = 160;
  const bw = days.length ? w / days.length : w;
  svg.setAttribute('viewBox', `0 0 ${w} ${h + 20}`);
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.innerHTML = days
    .map((d, i) => {
      const bh = (d.rate / 100) * h;
      return `<rect x="${i * bw + 2}" y="${h - bh}" width="${Math.max(bw - 4, 1)}" height="${bh}" fill="#1f5fbf"><title>${d.date}: ${d.rate}%</title></rect>`;
    })
    .join('') + `<line x1="0" y1="${h}" x2="${w}" y2="${h}" stroke="#4a5361"/>`;
  $('#chart-table').innerHTML = `<caption>Attendance rate per working day</caption><tr><th>Date</th><th>Rate</th><th>Present / expected</th></tr>${days
    .map((d) => `<tr><td>${d.date}</td><td>${d.rate}%</td><td>${d.present} / ${d.expected}</td></tr>`)
    .join('')}`;
  const avg = days.length ? days.reduce((a, d) => a + d.rate, 0) / days.length : 0;
  $('#chart-caption').textContent = days.length ? `${days.length} working days, average of daily rates ${avg.toFixed(1)}%` : 'No working days in this period';
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
  render();
  await rejoin();
  api(`/summarize_attendance/?team_id=${id}`).then(showSummary).catch((e) => ($('#yesterday').textContent = e.message));
  void loadReports();
  const today = new Date().toISOString().slice(0, 10);
  const month = new Date(Date.now() - 29 * 86400000).toISOString().slice(0, 10);
  $('#from').value ||= month;
  $('#to').value ||= today;
}

$('#export').addEventListener('submit', async (event) => {
  event.preventDefault();
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

const teams = await api('/teams/?limit=1000');
picker.innerHTML = teams.map((t) => `<option value="${t.team_id}">${escapeHtml(t.team_name)}</option>`).join('');
const saved = Number(localStorage.getItem('checkin.board.team'));
const first = teams.find((t) => t.team_id === saved) ?? teams[0];
if (first) {
  picker.value = String(first.team_id);
  await selectTeam(first.team_id);
} else {
  $('#board-error').textContent = 'There is no team to show.';
}
