// Shared by every page: the signed-in session (sessionStorage), API calls, and the socket.
const KEY = 'checkin.session';

/** The signed-in session, or null when signed out (or its token expired with nothing to renew it). */
export function session() {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) ?? 'null');
    if (!s || (s.exp * 1000 <= Date.now() && !s.refresh_token)) return null;
    return s;
  } catch {
    return null;
  }
}

function claims(token) {
  const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
  return JSON.parse(atob(part));
}

/** Signs in with the OAuth2 password flow and keeps the token for this browser session. */
export async function signIn(email, password) {
  const res = await fetch('/token', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username: email, password }),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(typeof body.detail === 'string' ? body.detail : 'Sign-in failed');
  return keep(body, email);
}

/** Keeps a token answer (sign-in or refresh) as the session. */
function keep(body, email) {
  const c = claims(body.access_token);
  const s = { token: body.access_token, refresh_token: body.refresh_token ?? null, exp: c.exp, access: c.access, employee_id: Number(c.sub), email };
  sessionStorage.setItem(KEY, JSON.stringify(s));
  return s;
}

let renewing = null;
let renewTimer = null;

/**
 * Exchanges the refresh token for a new access token (once at a time); the session, or null when it cannot be
 * renewed (revoked, expired, signed out elsewhere).
 */
export function renew() {
  renewing ??= (async () => {
    let s = null;
    try {
      s = JSON.parse(sessionStorage.getItem(KEY) ?? 'null');
    } catch {
      s = null;
    }
    if (!s?.refresh_token) return null;
    const res = await fetch('/token/refresh', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ refresh_token: s.refresh_token }),
    }).catch(() => null);
    if (!res) return session(); // offline: try again at the next turn
    if (!res.ok) {
      sessionStorage.removeItem(KEY);
      return null;
    }
    const fresh = keep(await res.json(), s.email);
    scheduleRenewal(fresh);
    return fresh;
  })().finally(() => (renewing = null));
  return renewing;
}

/** Renews a minute before the access token expires, so an open page (a wall board) never signs itself out. */
function scheduleRenewal(s) {
  clearTimeout(renewTimer);
  if (!s?.refresh_token) return;
  const inMs = Math.max(5_000, s.exp * 1000 - Date.now() - 60_000);
  renewTimer = setTimeout(async () => {
    if (!(await renew())) location.replace(`/login?next=${encodeURIComponent(location.pathname)}`);
  }, inMs);
}

export function signOut() {
  sessionStorage.removeItem(KEY);
  location.href = '/login';
}

/** Sends the browser to sign in (and back here after) unless the session has one of the roles. */
export function requireRole(roles) {
  const s = session();
  if (!s) {
    location.replace(`/login?next=${encodeURIComponent(location.pathname)}`);
    throw new Error('signed out');
  }
  if (!roles.includes(s.access)) {
    document.querySelector('main').innerHTML = `<div class="card"><h1>Not for your role</h1><p>This page is for ${roles.join(' and ')}s. <a href="/">Back</a></p></div>`;
    throw new Error('forbidden');
  }
  scheduleRenewal(s);
  const who = document.querySelector('[data-who]');
  if (who) who.textContent = `${s.email} (${s.access})`;
  document.querySelector('[data-signout]')?.addEventListener('click', signOut);
  return s;
}

/** JSON (or text) from the API with the session's token; throws with the server's message. */
export async function api(path, opts = {}) {
  let s = session();
  if (s && s.exp * 1000 - Date.now() < 10_000) s = await renew();
  const res = await fetch(path, {
    ...opts,
    headers: { ...(s ? { Authorization: `Bearer ${s.token}` } : {}), ...(opts.json ? { 'Content-Type': 'application/json' } : {}), ...(opts.headers ?? {}) },
    body: opts.json ? JSON.stringify(opts.json) : opts.body,
  });
  if (res.status === 401) {
    sessionStorage.removeItem(KEY);
    location.replace(`/login?next=${encodeURIComponent(location.pathname)}`);
  }
  if (!res.ok) {
    const body = await res.json().catch(() => ({}));
    throw new Error(typeof body.detail === 'string' ? body.detail : `Request failed (${res.status})`);
  }
  return opts.raw ? res : res.status === 204 ? null : res.json();
}

/** Shows "live" / "reconnecting" / "offline" in an element with role=status. */
export function showConnection(el, state) {
  el.className = `pill status-${state}`;
  el.textContent = state === 'live' ? 'Live' : state === 'reconnecting' ? 'Reconnecting…' : 'Offline';
}

export const escapeHtml = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

export const hhmm = (iso) => (iso ? new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hour12: false }) : '');

/**
 * The socket's handshake credentials, read at every (re)connection: a renewed token is used from the next one. A
 * socket lives no longer than the token it connected with; `onSessionEnded` reconnects with a fresh one when that
 * was the reason, and signs out otherwise (revoked, deactivated).
 */
export function socketAuth(cb) {
  const s = session();
  if (s && s.exp * 1000 - Date.now() < 10_000) void renew().then((fresh) => cb({ token: fresh?.token }));
  else cb({ token: s?.token });
}

export function onSessionEnded(socket, next) {
  socket.on('session:ended', async ({ reason } = {}) => {
    if (reason === 'token_expired' && (await renew())) return void socket.connect();
    sessionStorage.removeItem(KEY);
    location.replace(`/login?next=${encodeURIComponent(next)}`);
  });
}
