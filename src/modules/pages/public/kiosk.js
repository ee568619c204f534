// The door kiosk: reads badges (a reader types like a keyboard and ends with Enter) or an employee number and PIN,
// punches over the socket, and keeps badge punches on the device while offline (with their time and
// client_event_id) until they are acknowledged. A badge → name list kept on the device names people offline too.
import { io } from '/socket.io/socket.io.esm.min.js';
import { escapeHtml, t } from '/static/common.js';

const TOKEN_KEY = 'checkin.kiosk.token';
const NAME_KEY = 'checkin.kiosk.name';
const QUEUE_KEY = 'checkin.kiosk.queue';
const ROSTER_KEY = 'checkin.kiosk.roster';
const ROSTER_REFRESH_MS = 10 * 60_000;
const ACK_TIMEOUT_MS = 5000;
/** Answers that will never change on a retry: the punch is dropped from the queue and the reason shown. */
const FINAL = new Set(['unknown_badge', 'not_found', 'forbidden', 'employee_inactive', 'validation_error', 'occurred_too_old', 'occurred_in_future', 'client_event_id_conflict', 'record_deleted', 'not_checked_in', 'already_checked_in']);

const $ = (sel) => document.querySelector(sel);
const pairing = $('#pairing');
const station = $('#station');
const badgeInput = $('#badge');
const confirmBox = $('#confirm');
const waiting = $('#waiting');
const conn = $('#connection');

let queue = load();
let roster = loadRoster();
let socket = null;
let flushing = false;
let resetTimer = null;

function load() {
  try {
    const q = JSON.parse(localStorage.getItem(QUEUE_KEY) ?? '[]');
    return Array.isArray(q) ? q : [];
  } catch {
    return [];
  }
}
function save() {
  localStorage.setItem(QUEUE_KEY, JSON.stringify(queue));
  waiting.textContent = queue.length ? t('kiosk.waiting', { count: queue.length }) : t('kiosk.all_sent');
  waiting.dataset.count = String(queue.length);
}

/** Badge (as the hub normalises it: trimmed, upper-case) → name, as last fetched while online. */
function loadRoster() {
  try {
    return new Map(JSON.parse(localStorage.getItem(ROSTER_KEY) ?? '[]'));
  } catch {
    return new Map();
  }
}
const badgeKey = (badge) => badge.trim().toUpperCase();

async function refreshRoster() {
  const ack = await socket?.timeout(ACK_TIMEOUT_MS).emitWithAck('kiosk:roster', {}).catch(() => null);
  if (!ack?.ok) return; // offline or refused: the list kept on the device stays
  roster = new Map(ack.items.map((p) => [badgeKey(p.badge), p.name]));
  localStorage.setItem(ROSTER_KEY, JSON.stringify([...roster]));
}

function setConnection(state) {
  conn.className = `pill status-${state}`;
  conn.textContent = state === 'live' ? t('kiosk.online') : state === 'reconnecting' ? t('conn.reconnecting') : t('kiosk.offline');
}

/** The clock on screen: the kiosk's local time and date (ISO), every second. */
function tickClock() {
  const now = new Date();
  const hm = now.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  $('#clock-time').textContent = hm;
  $('#clock-time').setAttribute('datetime', now.toISOString());
  $('#clock-date').textContent = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
}

function show(kind, text) {
  confirmBox.className = `confirm ${kind}`;
  confirmBox.textContent = text;
  clearTimeout(resetTimer);
  resetTimer = setTimeout(() => {
    confirmBox.className = 'confirm';
    confirmBox.textContent = t('kiosk.ready');
  }, 4000);
}

const time = (iso) => (iso ? new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hour12: false }) : '');

function confirmation(ack) {
  const name = ack.employee?.name ?? t('kiosk.employee', { id: ack.record.employee_id });
  if (ack.action === 'ignored') return ['ok', t('kiosk.ignored', { name })];
  if (ack.action === 'check_out') return ['out', t('kiosk.checked_out', { name, time: time(ack.record.check_out_time) })];
  const late = ack.record.status === 'Late';
  return [late ? 'late' : 'ok', t('kiosk.checked_in', { name, time: time(ack.record.check_in_time), status: t(`status.${ack.record.status}`) })];
}

const REASONS = {
  unknown_badge: 'kiosk.reason.unknown_badge',
  employee_inactive: 'kiosk.reason.employee_inactive',
  forbidden: 'kiosk.reason.forbidden',
  occurred_too_old: 'kiosk.reason.occurred_too_old',
  invalid_pin: 'kiosk.reason.invalid_pin',
  pin_locked: 'kiosk.reason.pin_locked',
};
const reason = (error) => (REASONS[error.code] ? t(REASONS[error.code]) : error.message);

/** Sends queued punches in order; stops at the first one that could not be delivered (kept for later). */
async function flush() {
  if (flushing || !socket?.connected) return;
  flushing = true;
  try {
    while (queue.length && socket.connected) {
      const item = queue[0];
      let ack;
      try {
        // Only the punch itself: `replayed` is this page's own flag, and the hub rejects fields it does not know.
        const { badge_id, client_event_id, occurred_at } = item;
        ack = await socket.timeout(ACK_TIMEOUT_MS).emitWithAck('attendance:check', { badge_id, client_event_id, occurred_at });
      } catch {
        break; // no answer: the punch stays queued and is retried (its client_event_id makes the retry safe)
      }
      if (ack.ok) {
        queue.shift();
        save();
        if (!item.replayed) show(...confirmation(ack));
      } else if (ack.error.code === 'rate_limited') {
        await new Promise((r) => setTimeout(r, Math.max(200, (ack.error.retry_after ?? 1) * 1000)));
      } else if (FINAL.has(ack.error.code)) {
        queue.shift();
        save();
        show('bad', `${roster.get(badgeKey(item.badge_id)) ?? item.badge_id}: ${reason(ack.error)}`);
      } else {
        break; // the server had a problem: keep it and retry later
      }
    }
  } finally {
    flushing = false;
  }
  if (queue.length && socket.connected) setTimeout(flush, 2000);
}

function punch(badge) {
  const value = badge.trim();
  if (!value) return;
  queue.push({ badge_id: value, client_event_id: crypto.randomUUID(), occurred_at: new Date().toISOString() });
  save();
  if (socket?.connected) void flush();
  else {
    const name = roster.get(badgeKey(value));
    const saved = t('kiosk.saved', { time: time(new Date().toISOString()) });
    show('queued', name ? `${name}: ${saved}` : saved);
  }
}

/** A PIN punch: checked by the hub at once, so only while online (a PIN is never kept on the device). */
async function punchWithPin(number, pin) {
  if (!socket?.connected) return show('bad', t('kiosk.pin_offline'));
  let ack;
  try {
    ack = await socket.timeout(ACK_TIMEOUT_MS).emitWithAck('attendance:check', { employee_number: number, pin, client_event_id: crypto.randomUUID() });
  } catch {
    return show('bad', t('kiosk.no_answer'));
  }
  if (ack.ok) show(...confirmation(ack));
  else show('bad', ack.error.code === 'pin_locked' && ack.error.retry_after ? t('kiosk.reason.pin_locked_for', { minutes: Math.ceil(ack.error.retry_after / 60) }) : reason(ack.error));
}

function connect(token) {
  socket = io({ auth: { token }, transports: ['websocket'], reconnectionDelayMax: 5000 });
  socket.on('connect', () => {
    setConnection('live');
    void refreshRoster();
    // Anything in the queue now was typed while offline: send it without covering the screen with old names.
    for (const item of queue) item.replayed = true;
    void flush();
  });
  socket.on('disconnect', () => setConnection(navigator.onLine ? 'reconnecting' : 'offline'));
  socket.on('connect_error', (error) => {
    setConnection(navigator.onLine ? 'reconnecting' : 'offline');
    if (error.message === 'unauthorized') unpair(t('kiosk.unregistered'));
  });
  socket.on('session:ended', ({ reason: why }) => {
    if (why === 'revoked') unpair(t('kiosk.revoked'));
  });
  setInterval(() => socket.connected && void refreshRoster(), ROSTER_REFRESH_MS);
  // The browser knows before the socket does: go offline at once, and back as soon as the network returns.
  addEventListener('offline', () => {
    setConnection('offline');
    socket.disconnect();
  });
  addEventListener('online', () => socket.connect());
}

function unpair(message) {
  socket?.close();
  localStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(ROSTER_KEY);
  roster = new Map();
  startPairing(message);
}

function startStation(token) {
  pairing.hidden = true;
  station.hidden = false;
  $('#kiosk-name').textContent = localStorage.getItem(NAME_KEY) ?? t('kiosk.title');
  save();
  tickClock();
  setInterval(tickClock, 1000);
  setConnection('reconnecting');
  connect(token);
  badgeInput.focus();
}

function startPairing(message = '') {
  station.hidden = true;
  pairing.hidden = false;
  $('#pair-error').textContent = message;
}

$('#badge-form').addEventListener('submit', (event) => {
  event.preventDefault();
  punch(badgeInput.value);
  badgeInput.value = '';
  badgeInput.focus();
});
// Keep the badge field focused so a reader's keystrokes always land in it.
document.addEventListener('click', (event) => {
  if (!station.hidden && !pinMode && !(event.target instanceof HTMLButtonElement) && !(event.target instanceof HTMLInputElement) && !(event.target instanceof HTMLSelectElement)) badgeInput.focus();
});
let pinMode = false;
/** The field the keypad types into: the badge, or in PIN mode the number, then the PIN. */
let keypadTarget = badgeInput;
for (const input of [$('#pin-number'), $('#pin')]) input.addEventListener('focus', () => (keypadTarget = input));
badgeInput.addEventListener('focus', () => (keypadTarget = badgeInput));
for (const key of document.querySelectorAll('.keypad button')) {
  key.addEventListener('click', () => {
    const k = key.dataset.key;
    if (k === 'enter') (pinMode ? $('#pin-form') : $('#badge-form')).requestSubmit();
    else if (k === 'back') keypadTarget.value = keypadTarget.value.slice(0, -1);
    else keypadTarget.value += k;
    keypadTarget.focus();
  });
}
$('#pin-toggle').addEventListener('click', () => {
  pinMode = !pinMode;
  $('#pin-form').hidden = !pinMode;
  $('#badge-form').hidden = pinMode;
  $('#pin-toggle').setAttribute('aria-pressed', String(pinMode));
  $('#pin-toggle').textContent = pinMode ? t('kiosk.use_badge') : t('kiosk.use_pin');
  (pinMode ? $('#pin-number') : badgeInput).focus();
});
$('#pin-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const number = $('#pin-number').value.trim();
  const pin = $('#pin').value;
  $('#pin').value = '';
  if (!number || !pin) return show('bad', t('kiosk.pin_missing'));
  $('#pin-number').value = '';
  void punchWithPin(number, pin);
  $('#pin-number').focus();
});

/**
 * The admin's sign-in while pairing, kept in memory only (never on the device): made once the email and password
 * are filled in, to list the teams to pick from, and used again by Pair.
 */
let pairing_auth = null;
async function adminToken(form) {
  const key = `${form.email.value.trim()}\n${form.password.value}`;
  if (pairing_auth?.key === key) return pairing_auth.token;
  const login = await fetch('/token', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: form.email.value.trim(), password: form.password.value }),
  });
  const auth = await login.json().catch(() => ({}));
  if (!login.ok) throw new Error(login.status === 401 ? t('login.failed') : typeof auth.detail === 'string' ? auth.detail : t('login.failed'));
  pairing_auth = { key, token: auth.access_token };
  return auth.access_token;
}

async function loadTeams() {
  const form = $('#pair-form');
  if (!form.email.value.trim() || !form.password.value) return;
  try {
    const token = await adminToken(form);
    const res = await fetch('/teams/?limit=1000', { headers: { Authorization: `Bearer ${token}` } });
    if (!res.ok) return;
    const teams = await res.json();
    const select = $('#pair-team');
    const keep = select.value;
    select.innerHTML = `<option value="">${escapeHtml(t('kiosk.all_teams'))}</option>` + teams.map((tm) => `<option value="${tm.team_id}">${escapeHtml(tm.team_name)}</option>`).join('');
    select.value = keep;
  } catch (e) {
    $('#pair-error').textContent = e.message;
  }
}
$('#pair-password').addEventListener('change', () => void loadTeams());
$('#pair-team').addEventListener('focus', () => void loadTeams());

$('#pair-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  $('#pair-error').textContent = '';
  try {
    let token = form.device_token.value.trim();
    const name = form.kiosk_name.value.trim() || t('kiosk.default_name');
    if (!token) {
      // An admin signs in here once; only the kiosk's own device token is kept on the device.
      const res = await fetch('/kiosks/', {
        method: 'POST',
        headers: { Authorization: `Bearer ${await adminToken(form)}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name, team_id: form.team_id.value ? Number(form.team_id.value) : null }),
      });
      const kiosk = await res.json();
      if (!res.ok) throw new Error(typeof kiosk.detail === 'string' ? kiosk.detail : t('kiosk.admin_only'));
      token = kiosk.token;
    }
    pairing_auth = null;
    localStorage.setItem(TOKEN_KEY, token);
    localStorage.setItem(NAME_KEY, name);
    form.reset();
    startStation(token);
  } catch (e) {
    $('#pair-error').textContent = e.message;
  }
});

// A link from the admin console (/kiosk#token=…&name=…) pairs this device; the fragment never reaches a server.
const fragment = new URLSearchParams(location.hash.slice(1));
if (fragment.get('token')) {
  localStorage.setItem(TOKEN_KEY, fragment.get('token'));
  localStorage.setItem(NAME_KEY, fragment.get('name') || t('kiosk.default_name'));
  history.replaceState(null, '', location.pathname);
}
const token = localStorage.getItem(TOKEN_KEY);
if (token) startStation(token);
else startPairing();
