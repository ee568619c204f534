// The door kiosk: reads badges (a reader types like a keyboard and ends with Enter), punches over the socket,
// and keeps punches on the device while offline (with their time and client_event_id) until they are acknowledged.
import { io } from '/socket.io/socket.io.esm.min.js';

const TOKEN_KEY = 'checkin.kiosk.token';
const NAME_KEY = 'checkin.kiosk.name';
const QUEUE_KEY = 'checkin.kiosk.queue';
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
  waiting.textContent = queue.length ? `${queue.length} waiting` : 'All sent';
  waiting.dataset.count = String(queue.length);
}

function setConnection(state) {
  conn.className = `pill status-${state}`;
  conn.textContent = state === 'live' ? 'Online' : state === 'reconnecting' ? 'Reconnecting…' : 'Offline — punches are kept';
}

function show(kind, text) {
  confirmBox.className = `confirm ${kind}`;
  confirmBox.textContent = text;
  clearTimeout(resetTimer);
  resetTimer = setTimeout(() => {
    confirmBox.className = 'confirm';
    confirmBox.textContent = 'Ready — scan your badge';
  }, 4000);
}

const time = (iso) => (iso ? new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hour12: false }) : '');

function confirmation(ack) {
  const name = ack.employee?.name ?? `Employee ${ack.record.employee_id}`;
  if (ack.action === 'check_out') return ['out', `${name}: Checked out ${time(ack.record.check_out_time)}`];
  const late = ack.record.status === 'Late';
  return [late ? 'late' : 'ok', `${name}: Checked in ${time(ack.record.check_in_time)} — ${ack.record.status}`];
}

const REASONS = {
  unknown_badge: 'This badge is not known. Ask an admin.',
  employee_inactive: 'This badge belongs to an inactive employee.',
  forbidden: 'This kiosk does not accept this badge.',
  occurred_too_old: 'This punch is too old to be accepted; ask a manager.',
};

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
        show('bad', `${item.badge_id}: ${REASONS[ack.error.code] ?? ack.error.message}`);
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
  else show('queued', `Saved at ${time(new Date().toISOString())} — it will be sent when the connection is back`);
}

function connect(token) {
  socket = io({ auth: { token }, transports: ['websocket'], reconnectionDelayMax: 5000 });
  socket.on('connect', () => {
    setConnection('live');
    // Anything in the queue now was typed while offline: send it without covering the screen with old names.
    for (const item of queue) item.replayed = true;
    void flush();
  });
  socket.on('disconnect', () => setConnection(navigator.onLine ? 'reconnecting' : 'offline'));
  socket.on('connect_error', (error) => {
    setConnection(navigator.onLine ? 'reconnecting' : 'offline');
    if (error.message === 'unauthorized') unpair('This kiosk is no longer registered. Pair it again.');
  });
  socket.on('session:ended', ({ reason }) => {
    if (reason === 'revoked') unpair('This kiosk was revoked by an admin. Pair it again.');
  });
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
  startPairing(message);
}

function startStation(token) {
  pairing.hidden = true;
  station.hidden = false;
  $('#kiosk-name').textContent = localStorage.getItem(NAME_KEY) ?? 'Kiosk';
  save();
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
  if (!station.hidden && !(event.target instanceof HTMLButtonElement) && !(event.target instanceof HTMLInputElement)) badgeInput.focus();
});
for (const key of document.querySelectorAll('.keypad button')) {
  key.addEventListener('click', () => {
    const k = key.dataset.key;
    if (k === 'enter') $('#badge-form').requestSubmit();
    else if (k === 'back') badgeInput.value = badgeInput.value.slice(0, -1);
    else badgeInput.value += k;
    badgeInput.focus();
  });
}

$('#pair-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  $('#pair-error').textContent = '';
  try {
    let token = form.device_token.value.trim();
    const name = form.kiosk_name.value.trim() || 'Front door';
    if (!token) {
      // An admin signs in here once; only the kiosk's own device token is kept on the device.
      const login = await fetch('/token', {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username: form.email.value.trim(), password: form.password.value }),
      });
      const auth = await login.json();
      if (!login.ok) throw new Error(typeof auth.detail === 'string' ? auth.detail : 'Sign-in failed');
      const res = await fetch('/kiosks/', {
        method: 'POST',
        headers: { Authorization: `Bearer ${auth.access_token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name, team_id: form.team_id.value ? Number(form.team_id.value) : null }),
      });
      const kiosk = await res.json();
      if (!res.ok) throw new Error(typeof kiosk.detail === 'string' ? kiosk.detail : 'Only an admin can pair a kiosk');
      token = kiosk.token;
    }
    localStorage.setItem(TOKEN_KEY, token);
    localStorage.setItem(NAME_KEY, name);
    form.reset();
    startStation(token);
  } catch (e) {
    $('#pair-error').textContent = e.message;
  }
});

const token = localStorage.getItem(TOKEN_KEY);
if (token) startStation(token);
else startPairing();
