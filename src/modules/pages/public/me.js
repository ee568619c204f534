// The employee's own page: today (stays, hours so far, a check-in/out button where the team allows web punches),
// this week and month with hours and overtime, the days that need a correction, my corrections (live), and my PIN.
import { io } from '/socket.io/socket.io.esm.min.js';
import { api, bindForm, escapeHtml, hhmm, hours, onSessionEnded, requireRole, say, showConnection, socketAuth, t, todayIn, zoneNote } from '/static/common.js';

const me = await requireRole(['employee', 'manager', 'admin']);
const $ = (sel) => document.querySelector(sel);
let profile = null;
let zone = undefined;
let days = [];
let tick = null;

const addDays = (date, n) => new Date(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
/** Monday of the ISO week of a date. */
const weekStart = (date) => addDays(date, -((new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7));
const at = (iso) => hhmm(iso, zone);

/** Minutes worked in a day's stays, an open one counted up to now. */
const workedNow = (day) =>
  (day?.intervals ?? []).reduce((sum, i) => sum + Math.max(0, ((i.check_out_time ? Date.parse(i.check_out_time) : Date.now()) - Date.parse(i.check_in_time)) / 60_000), 0);
const isIn = (day) => Boolean(day?.intervals?.length && !day.intervals.at(-1).check_out_time);
const needsCorrection = (day) => day.missing_check_out || day.intervals.some((i) => i.auto_closed);

async function load() {
  try {
    profile = await api('/me/profile');
    zone = profile.timezone ?? undefined;
    $('#zone-note').textContent = zoneNote(zone);
    const today = todayIn(zone);
    // The week, the month, and at least the last 31 days (a forgotten check-out at the end of last month still shows).
    const from = [weekStart(today), `${today.slice(0, 8)}01`, addDays(today, -31)].sort()[0];
    const sheet = await api(`/reports/timesheet?employee_id=${me.employee_id}&date_from=${from}&date_to=${today}`);
    days = sheet.employees[0]?.days ?? [];
    drawToday(today);
    drawTotals('#week', days.filter((d) => d.date >= weekStart(today)));
    drawTotals('#month', days.filter((d) => d.date >= `${today.slice(0, 8)}01`));
    drawDays(today);
    $('#c-date').max = today;
    $('#c-date').value ||= today;
  } catch (e) {
    say($('#me-error'), e.message);
  }
  await loadCorrections();
}

function drawToday(today) {
  const day = days.find((d) => d.date === today) ?? { intervals: [], status: null };
  $('#today-date').textContent = today;
  const inNow = isIn(day);
  const state = $('#today-state');
  state.dataset.presence = inNow ? 'in' : 'out';
  state.textContent = inNow ? t('me.state_in', { time: at(day.intervals.at(-1).check_in_time) }) : day.intervals.length ? t('me.state_out') : t('me.state_not_in');
  $('#today-intervals').innerHTML = day.intervals
    .map((i) => `<li>${at(i.check_in_time)} – ${i.check_out_time ? at(i.check_out_time) : escapeHtml(t('me.still_in'))}</li>`)
    .join('');
  const paint = () => ($('#today-hours').textContent = hours(workedNow(day)));
  paint();
  clearInterval(tick);
  if (inNow) tick = setInterval(paint, 30_000);
  const allowed = Boolean(profile?.web_punch);
  $('#punch').hidden = !allowed;
  const button = $('#punch-button');
  button.textContent = inNow ? t('me.check_out') : t('me.check_in');
  button.dataset.intent = inNow ? 'check-out' : 'check-in';
}

function drawTotals(sel, list) {
  const sum = (k) => list.reduce((a, d) => a + (d[k] ?? 0), 0);
  const worked = list.reduce((a, d) => a + (d.date === todayIn(zone) ? Math.round(workedNow(d)) : d.worked_minutes), 0);
  const rows = [
    [t('me.worked'), hours(worked)],
    [t('me.planned'), hours(sum('planned_minutes'))],
    [t('me.overtime'), hours(sum('overtime_minutes'))],
    [t('me.weekly_overtime'), hours(sum('weekly_overtime_minutes'))],
    [t('me.late_days'), String(list.filter((d) => d.late).length)],
    [t('me.absent_days'), String(list.filter((d) => d.status === 'Absent').length)],
  ];
  $(sel).innerHTML = rows.map(([k, v]) => `<div><dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd></div>`).join('');
}

function drawDays(today) {
  $('#days tbody').innerHTML = [...days]
    .reverse()
    .filter((d) => d.record_id !== null || d.status)
    .map((d) => {
      const stays = d.intervals.map((i) => `${at(i.check_in_time)}–${i.check_out_time ? at(i.check_out_time) : ''}`).join(', ');
      const flag = d.missing_check_out ? ` · ${t('me.missing_check_out')}` : d.intervals.some((i) => i.auto_closed) ? ` · ${t('me.auto_closed')}` : '';
      const invite = needsCorrection(d) && d.date !== today
        ? `<button type="button" class="secondary" data-correct="${d.date}">${escapeHtml(t('me.request_correction'))}</button>`
        : '';
      return `<tr data-date="${d.date}"${needsCorrection(d) ? ' class="flagged"' : ''}><td>${d.date}</td><td>${escapeHtml((d.status ?? '') + flag)}</td><td>${stays}</td><td>${hours(d.date === today ? workedNow(d) : d.worked_minutes)}</td><td>${hours(d.overtime_minutes)}</td><td>${invite}</td></tr>`;
    })
    .join('');
}

$('#days').addEventListener('click', (event) => {
  const button = event.target.closest('button[data-correct]');
  if (!button) return;
  const day = days.find((d) => d.date === button.dataset.correct);
  const form = $('#correction-form');
  form.attendance_date.value = day.date;
  form.check_in_time.value = day.intervals[0] ? at(day.intervals[0].check_in_time) : '';
  form.check_out_time.value = '';
  form.reason.value = '';
  form.check_out_time.focus();
});

async function loadCorrections() {
  try {
    const list = await api(`/attendance/corrections/?employee_id=${me.employee_id}&limit=50`);
    const items = list.items ?? list;
    $('#corrections-empty').hidden = items.length > 0;
    $('#corrections tbody').innerHTML = items
      .map((c) => {
        const asked = [c.check_in_time && `${t('corr.check_in')} ${timeOf(c.check_in_time)}`, c.check_out_time && `${t('corr.check_out')} ${timeOf(c.check_out_time)}`, c.requested_status]
          .filter(Boolean)
          .join(' · ');
        return `<tr data-correction="${c.correction_id}" data-status="${c.status}"><td>${c.attendance_date}</td><td>${escapeHtml(asked)}</td><td>${escapeHtml(c.reason)}</td>` +
          `<td><span class="pill corr-${c.status}">${escapeHtml(t(`corr.status.${c.status}`))}</span>` +
          (c.status === 'pending' && c.requested_by === me.employee_id ? ` <button type="button" class="secondary" data-withdraw="${c.correction_id}">${escapeHtml(t('corr.withdraw'))}</button>` : '') +
          `</td><td>${escapeHtml(c.comment ?? '')}</td></tr>`;
      })
      .join('');
  } catch (e) {
    say($('#me-error'), e.message);
  }
}
$('#corrections').addEventListener('click', async (event) => {
  const button = event.target.closest('button[data-withdraw]');
  if (!button) return;
  button.disabled = true;
  try {
    await api(`/attendance/corrections/${button.dataset.withdraw}/cancel`, { method: 'POST', json: {} });
    await loadCorrections();
  } catch (e) {
    say($('#me-error'), e.message);
    button.disabled = false;
  }
});
const timeOf = (v) => (!v ? '' : /^\d\d:\d\d/.test(v) ? v.slice(0, 5) : at(v));

bindForm($('#correction-form'), async (form) => {
  const body = { attendance_date: form.attendance_date.value, reason: form.reason.value.trim() };
  if (form.check_in_time.value) body.check_in_time = `${form.check_in_time.value}:00`;
  if (form.check_out_time.value) body.check_out_time = `${form.check_out_time.value}:00`;
  await api('/attendance/corrections/', { method: 'POST', json: body });
  form.reset();
  say($('#correction-status'), t('corr.sent'));
  await loadCorrections();
});

bindForm($('#my-pin-form'), async (form) => {
  await api('/me/pin', { method: 'PUT', json: { pin: form.pin.value, current_password: form.current_password.value } });
  form.reset();
  say($('#pin-status'), t('me.pin_saved'));
});

$('#punch-button').addEventListener('click', async (event) => {
  const button = event.currentTarget;
  say($('#punch-error'), '');
  button.disabled = true;
  try {
    await api(`/attendance/${button.dataset.intent}`, { method: 'POST', json: { employee_id: me.employee_id } });
    await load();
  } catch (e) {
    say($('#punch-error'), e.message);
  } finally {
    button.disabled = false;
  }
});

const socket = io({ auth: socketAuth, transports: ['websocket'] });
onSessionEnded(socket);
socket.on('connect', () => showConnection($('#connection'), 'live'));
socket.on('disconnect', () => showConnection($('#connection'), 'reconnecting'));
socket.on('connect_error', () => showConnection($('#connection'), 'reconnecting'));
socket.on('correction:resolved', () => void load());
socket.on('attendance:changed', (change) => change.employee?.employee_id === me.employee_id && void load());

await load();
