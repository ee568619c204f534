// The admin console: employees (with badge, number, PIN, access, schedule assignments), teams, kiosks, schedules,
// holidays and the audit trail. Forms check what the browser can, and show the API's errors next to their fields.
import { api, bindForm, dateTime, escapeHtml, requireRole, say, showFieldError, t } from '/static/common.js';

await requireRole(['admin']);
const $ = (sel) => document.querySelector(sel);
const SECTIONS = ['employees', 'teams', 'kiosks', 'schedules', 'holidays', 'audit'];
let teams = [];
let schedules = [];
let employees = [];

const status = (text) => say($('#admin-status'), text);
const failed = (e) => say($('#admin-error'), e.message);
const teamName = (id) => teams.find((x) => x.team_id === id)?.team_name ?? '';
const yes = (b) => (b ? t('common.yes') : t('common.no'));
/** A form field's value: trimmed text, or null when empty. */
const val = (form, name) => {
  const v = form.elements.namedItem(name)?.value.trim();
  return v === '' || v === undefined ? null : v;
};
const num = (form, name) => (val(form, name) === null ? null : Number(val(form, name)));

/** A click on a button `[data-<key>]` inside `container` runs `act(its value)`; a refusal shows at the top of the page. */
function onButton(container, key, act) {
  const attribute = key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  $(container).addEventListener('click', async (event) => {
    const button = event.target.closest(`button[data-${attribute}]`);
    if (!button) return;
    try {
      await act(button.dataset[key]);
    } catch (e) {
      failed(e);
    }
  });
}

function show(section) {
  const name = SECTIONS.includes(section) ? section : 'employees';
  for (const s of document.querySelectorAll('[data-section]')) s.hidden = s.id !== name;
  for (const a of document.querySelectorAll('[data-tab]')) {
    if (a.dataset.tab === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  void loaders[name]?.().catch(failed);
}
addEventListener('hashchange', () => show(location.hash.slice(1)));

/** The team and schedule pickers of every form. */
function fillPickers() {
  for (const select of document.querySelectorAll('select[data-teams]')) {
    const keep = select.value;
    select.innerHTML = `<option value="">${escapeHtml(t('admin.no_team'))}</option>` + teams.map((x) => `<option value="${x.team_id}">${escapeHtml(x.team_name)}</option>`).join('');
    select.value = keep;
  }
  for (const select of document.querySelectorAll('select[data-schedules]')) {
    const keep = select.value;
    select.innerHTML = (select.hasAttribute('data-none') ? `<option value="">${escapeHtml(t('admin.own_hours'))}</option>` : '') +
      schedules.filter((s) => s.owner_team_id === null).map((s) => `<option value="${s.schedule_id}">${escapeHtml(s.name)}</option>`).join('');
    select.value = keep;
  }
}

async function loadShared() {
  [teams, schedules] = await Promise.all([api('/teams/?limit=1000'), api('/schedules/?limit=1000')]);
  fillPickers();
}

// ---- Employees ----
async function loadEmployees() {
  employees = await api('/employees/?limit=1000');
  drawEmployees();
}
function drawEmployees() {
  const q = $('#emp-filter').value.trim().toLowerCase();
  $('#emp-table tbody').innerHTML = employees
    .filter((p) => !q || `${p.name} ${p.email} ${p.badge_id ?? ''}`.toLowerCase().includes(q))
    .map((p) => `<tr data-employee="${p.employee_id}"${p.active ? '' : ' class="inactive"'}><td>${escapeHtml(p.name)}</td><td>${escapeHtml(p.email)}</td><td>${escapeHtml(teamName(p.team_id))}</td>` +
      `<td>${escapeHtml(t(`role.${p.access}`))}</td><td>${escapeHtml(p.badge_id ?? '')}</td><td>${yes(p.has_pin)}</td><td>${yes(p.active)}</td>` +
      `<td><button type="button" class="secondary" data-edit="${p.employee_id}">${escapeHtml(t('admin.edit'))}</button>` +
      (p.active ? ` <button type="button" class="secondary" data-deactivate="${p.employee_id}">${escapeHtml(t('admin.deactivate'))}</button>` : '') + '</td></tr>')
    .join('');
}
$('#emp-filter').addEventListener('input', drawEmployees);

onButton('#emp-table', 'edit', (id) => editEmployee(employees.find((p) => p.employee_id === Number(id))));
onButton('#emp-table', 'deactivate', async (id) => {
  const p = employees.find((x) => x.employee_id === Number(id));
  if (!confirm(t('admin.confirm_deactivate', { name: p.name }))) return;
  await api(`/employees/${p.employee_id}`, { method: 'PUT', json: { active: false } });
  status(t('admin.deactivated', { name: p.name }));
  await loadEmployees();
});

function editEmployee(p) {
  const form = $('#emp-form');
  form.reset();
  form.employee_id.value = String(p.employee_id);
  form.name.value = p.name;
  form.email.value = p.email;
  form.team_id.value = p.team_id ?? '';
  form.access.value = p.access;
  form.role.value = p.role ?? '';
  form.badge_id.value = p.badge_id ?? '';
  form.employee_number.value = p.employee_number ?? '';
  form.active.checked = p.active;
  form.password.required = false;
  $('#emp-form-h').textContent = t('admin.edit_employee', { name: p.name });
  $('#emp-schedules').hidden = false;
  void loadAssignments(p.employee_id);
  form.name.focus();
}
// A hidden input keeps its value through a reset: the id goes here (synchronously, before an edit sets the next one).
$('#emp-form').addEventListener('reset', () => {
  $('#emp-form-h').textContent = t('admin.add_employee');
  $('#emp-schedules').hidden = true;
  $('#emp-form').employee_id.value = '';
});

bindForm($('#emp-form'), async (form) => {
  const id = val(form, 'employee_id');
  const body = {
    name: val(form, 'name'),
    email: val(form, 'email'),
    team_id: num(form, 'team_id'),
    access: val(form, 'access'),
    role: val(form, 'role'),
    badge_id: val(form, 'badge_id'),
    active: form.active.checked,
  };
  if (val(form, 'employee_number') !== null || id) body.employee_number = val(form, 'employee_number');
  if (val(form, 'pin') !== null) body.pin = val(form, 'pin');
  if (val(form, 'password') !== null) body.password = form.password.value;
  else if (!id) return void showFieldError(form, 'password', t('admin.password_required'));
  const saved = id ? await api(`/employees/${id}`, { method: 'PUT', json: body }) : await api('/employees/', { method: 'POST', json: body });
  status(t(id ? 'admin.saved' : 'admin.created', { name: saved.name }));
  form.reset();
  await loadEmployees();
});

async function loadAssignments(employeeId) {
  const list = await api(`/employees/${employeeId}/schedules`);
  $('#assignment-list').innerHTML = list.length
    ? list.map((a) => `<li>${escapeHtml(schedules.find((s) => s.schedule_id === a.schedule_id)?.name ?? `#${a.schedule_id}`)} · ${a.valid_from}${a.valid_to ? ` – ${a.valid_to}` : ''} <button type="button" class="secondary" data-unassign="${a.assignment_id}">${escapeHtml(t('admin.remove'))}</button></li>`).join('')
    : `<li class="muted">${escapeHtml(t('admin.no_assignments'))}</li>`;
}
onButton('#assignment-list', 'unassign', async (assignment) => {
  const id = $('#emp-form').employee_id.value;
  await api(`/employees/${id}/schedules/${assignment}`, { method: 'DELETE' });
  await loadAssignments(id);
});
bindForm($('#assign-form'), async (form) => {
  const id = $('#emp-form').employee_id.value;
  await api(`/employees/${id}/schedules`, { method: 'POST', json: { schedule_id: num(form, 'schedule_id'), valid_from: val(form, 'valid_from') } });
  form.reset();
  await loadAssignments(id);
});

// ---- Teams ----
async function loadTeams() {
  await loadShared();
  $('#team-table tbody').innerHTML = teams
    .map((x) => `<tr data-team="${x.team_id}"><td>${escapeHtml(x.team_name)}</td><td>${escapeHtml(x.timezone)}</td><td>${escapeHtml(x.workday_start)}</td><td>${x.grace_minutes}</td><td>${yes(x.web_punch)}</td>` +
      `<td><button type="button" class="secondary" data-edit-team="${x.team_id}">${escapeHtml(t('admin.edit'))}</button></td></tr>`)
    .join('');
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  if (!$('#zones').childElementCount) $('#zones').innerHTML = zones.map((z) => `<option value="${z}"></option>`).join('');
}
onButton('#team-table', 'editTeam', (id) => {
  const x = teams.find((tm) => tm.team_id === Number(id));
  const form = $('#team-form');
  form.reset();
  form.team_id.value = String(x.team_id);
  form.team_name.value = x.team_name;
  form.timezone.value = x.timezone ?? '';
  const own = schedules.find((s) => s.schedule_id === x.schedule_id)?.owner_team_id === x.team_id;
  form.schedule_id.value = x.schedule_id && !own ? String(x.schedule_id) : '';
  form.workday_start.value = x.workday_start ?? '';
  form.grace_minutes.value = String(x.grace_minutes ?? '');
  form.weekly_hours.value = String(x.weekly_hours ?? '');
  form.missing_check_out.value = x.missing_check_out;
  form.web_punch.checked = Boolean(x.web_punch);
  form.team_name.focus();
});
$('#team-form').addEventListener('reset', () => ($('#team-form').team_id.value = ''));
bindForm($('#team-form'), async (form) => {
  const id = val(form, 'team_id');
  const body = { team_name: val(form, 'team_name'), timezone: val(form, 'timezone'), missing_check_out: val(form, 'missing_check_out'), web_punch: form.web_punch.checked };
  if (num(form, 'weekly_hours') !== null) body.weekly_hours = num(form, 'weekly_hours');
  // Either a shared schedule, or the team's own start time and grace (the API takes one or the other).
  if (val(form, 'schedule_id') !== null) body.schedule_id = num(form, 'schedule_id');
  else {
    if (val(form, 'workday_start') !== null) body.workday_start = val(form, 'workday_start');
    if (num(form, 'grace_minutes') !== null) body.grace_minutes = num(form, 'grace_minutes');
  }
  const saved = id ? await api(`/teams/${id}`, { method: 'PUT', json: body }) : await api('/teams/', { method: 'POST', json: body });
  status(t(id ? 'admin.saved' : 'admin.created', { name: saved.team_name }));
  form.reset();
  await loadTeams();
});

// ---- Kiosks ----
async function loadKiosks() {
  await loadShared();
  const kiosks = await api('/kiosks/?limit=1000');
  $('#kiosk-table tbody').innerHTML = kiosks
    .map((k) => `<tr data-kiosk="${k.kiosk_id}"><td>${escapeHtml(k.name)}</td><td>${escapeHtml(k.team_id ? teamName(k.team_id) : t('kiosk.all_teams'))}</td>` +
      `<td>${escapeHtml(dateTime(k.last_seen_at))}</td><td>${k.online ? `<span class="pill status-live">${escapeHtml(t('admin.online'))}</span>` : escapeHtml(t('common.no'))}</td>` +
      `<td><button type="button" class="secondary" data-revoke="${k.kiosk_id}">${escapeHtml(t('admin.revoke'))}</button></td></tr>`)
    .join('');
}
onButton('#kiosk-table', 'revoke', async (id) => {
  if (!confirm(t('admin.confirm_revoke'))) return;
  await api(`/kiosks/${id}`, { method: 'DELETE' });
  status(t('admin.revoked'));
  await loadKiosks();
});
bindForm($('#kiosk-form'), async (form) => {
  const kiosk = await api('/kiosks/', { method: 'POST', json: { name: val(form, 'name'), team_id: num(form, 'team_id') } });
  form.reset();
  $('#kiosk-paired').hidden = false;
  $('#kiosk-token').value = kiosk.token;
  // The token travels in the fragment, which browsers never send to a server.
  const link = `${location.origin}/kiosk#token=${encodeURIComponent(kiosk.token)}&name=${encodeURIComponent(kiosk.name)}`;
  $('#kiosk-link').href = link;
  $('#kiosk-link').textContent = t('admin.kiosk_open', { name: kiosk.name });
  status(t('admin.created', { name: kiosk.name }));
  await loadKiosks();
});

// ---- Schedules ----
async function loadSchedules() {
  await loadShared();
  const days = (s) => [...new Set(s.shifts.map((x) => x.weekday))].sort().map((d) => t(`weekday.${d}`)).join(', ');
  $('#schedule-table tbody').innerHTML = schedules
    .filter((s) => s.owner_team_id === null)
    .map((s) => `<tr data-schedule="${s.schedule_id}"><td>${escapeHtml(s.name)}</td><td>${escapeHtml(days(s))} ${escapeHtml(s.shifts[0] ? `${s.shifts[0].start}–${s.shifts[0].end}` : '')}</td><td>${s.grace_minutes}</td>` +
      `<td><button type="button" class="secondary" data-delete-schedule="${s.schedule_id}">${escapeHtml(t('admin.remove'))}</button></td></tr>`)
    .join('');
}
onButton('#schedule-table', 'deleteSchedule', async (id) => {
  await api(`/schedules/${id}`, { method: 'DELETE' });
  await loadSchedules();
});
bindForm($('#schedule-form'), async (form) => {
  const weekdays = [...form.querySelectorAll('input[name="weekday"]:checked')].map((x) => Number(x.value));
  if (!weekdays.length) return void showFieldError(form, 'form', t('admin.pick_weekday'));
  const shifts = weekdays.map((weekday) => ({ weekday, start: val(form, 'start'), end: val(form, 'end') }));
  await api('/schedules/', { method: 'POST', json: { name: val(form, 'name'), grace_minutes: num(form, 'grace_minutes') ?? 5, shifts } });
  form.reset();
  status(t('admin.created', { name: '' }));
  await loadSchedules();
});

// ---- Holidays ----
async function loadHolidays() {
  await loadShared();
  const list = await api('/holidays/?limit=1000');
  $('#holiday-table tbody').innerHTML = list
    .map((h) => `<tr data-holiday="${h.holiday_id}"><td>${h.date}</td><td>${escapeHtml(h.name)}</td><td>${escapeHtml(h.team_id ? teamName(h.team_id) : t('admin.everyone'))}</td>` +
      `<td><button type="button" class="secondary" data-delete-holiday="${h.holiday_id}">${escapeHtml(t('admin.remove'))}</button></td></tr>`)
    .join('');
}
onButton('#holiday-table', 'deleteHoliday', async (id) => {
  await api(`/holidays/${id}`, { method: 'DELETE' });
  await loadHolidays();
});
bindForm($('#holiday-form'), async (form) => {
  await api('/holidays/', { method: 'POST', json: { date: val(form, 'date'), name: val(form, 'name'), team_id: num(form, 'team_id') } });
  form.reset();
  await loadHolidays();
});

// ---- Audit trail ----
let auditSkip = 0;
const AUDIT_PAGE = 50;
async function loadAudit(more = false) {
  const form = $('#audit-form');
  const params = new URLSearchParams({ limit: String(AUDIT_PAGE), skip: String(more ? auditSkip : 0) });
  for (const name of ['entity_type', 'date_from', 'date_to']) if (val(form, name)) params.set(name, val(form, name));
  const res = await api(`/audit/?${params}`, { raw: true });
  const rows = await res.json();
  auditSkip = (more ? auditSkip : 0) + rows.length;
  const total = Number(res.headers.get('X-Total-Count') ?? rows.length);
  $('#audit-more').hidden = auditSkip >= total;
  const names = new Map(employees.map((p) => [p.employee_id, p.name]));
  const html = rows
    .map((a) => `<tr data-audit="${a.audit_id}"><td>${escapeHtml(dateTime(a.at))}</td><td>${escapeHtml(a.actor_id ? names.get(a.actor_id) ?? `#${a.actor_id}` : a.actor_kind)}</td>` +
      `<td>${escapeHtml(a.action)}</td><td>${escapeHtml(`${a.entity_type} #${a.entity_id}`)}</td><td><code>${escapeHtml(diff(a.before, a.after))}</code></td></tr>`)
    .join('');
  if (more) $('#audit-table tbody').insertAdjacentHTML('beforeend', html);
  else $('#audit-table tbody').innerHTML = html;
}
/** The fields a change touched, before → after. */
function diff(before, after) {
  if (!before || !after) return JSON.stringify(after ?? before ?? {}).slice(0, 160);
  return Object.keys(after)
    .filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]) && k !== 'updated_at')
    .map((k) => `${k}: ${JSON.stringify(before[k])} → ${JSON.stringify(after[k])}`)
    .join('; ')
    .slice(0, 300);
}
bindForm($('#audit-form'), () => loadAudit());
$('#audit-more').addEventListener('click', () => void loadAudit(true).catch(failed));

const loaders = {
  employees: async () => {
    await loadShared();
    await loadEmployees();
  },
  teams: loadTeams,
  kiosks: loadKiosks,
  schedules: loadSchedules,
  holidays: loadHolidays,
  audit: async () => {
    if (!employees.length) employees = await api('/employees/?limit=1000');
    await loadAudit();
  },
};
show(location.hash.slice(1));
