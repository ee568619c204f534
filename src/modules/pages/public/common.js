// Shared by every page: the signed-in session (sessionStorage), the words (one catalogue per language), the header,
// API calls, forms that show the API's errors next to their fields, times with their zones, and the socket's sign-in.
const KEY = 'checkin.session';

/** The page's language (chosen by the server from the switch's cookie or the browser) and its catalogue. */
export const LANG = document.documentElement.lang || 'en';
const CATALOGUE = await fetch(`/static/i18n/${LANG}.json`).then((r) => (r.ok ? r.json() : {})).catch(() => ({}));

/** The catalogue's text for a key, with `{name}` filled in. */
export function t(key, vars) {
  const text = CATALOGUE[key] ?? key;
  return vars ? text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m)) : text;
}

/** Never settles: a page that has sent its reader elsewhere (or shown a refusal) stops there, without an error. */
export const halt = () => new Promise(() => undefined);

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
  if (!res.ok) throw new Error(res.status === 401 ? t('login.failed') : typeof body.detail === 'string' ? body.detail : t('login.failed'));
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
    if (!(await renew())) toLogin();
  }, inMs);
}

function toLogin() {
  location.replace(`/login?next=${encodeURIComponent(location.pathname)}`);
}

export function signOut() {
  sessionStorage.removeItem(KEY);
  location.href = '/login';
}

/** The pages, and who may open them: the header and the home page link only to what the reader may open. */
export const PAGES = [
  { path: '/me', key: 'nav.me', roles: ['employee', 'manager', 'admin'] },
  { path: '/board', key: 'nav.board', roles: ['manager', 'admin'] },
  { path: '/admin', key: 'nav.admin', roles: ['admin'] },
  { path: '/assistant', key: 'nav.assistant', roles: ['admin'] },
  { path: '/kiosk', key: 'nav.kiosk', roles: ['admin'] },
  { path: '/docs', key: 'nav.api', roles: ['employee', 'manager', 'admin'] },
];
export const pagesFor = (s) => PAGES.filter((p) => s && p.roles.includes(s.access));

/** The header: the reader's links, name and sign-out, and the language switch. */
function drawChrome() {
  const s = session();
  const nav = document.querySelector('[data-nav]');
  if (nav) {
    nav.innerHTML = pagesFor(s)
      .map((p) => `<a href="${p.path}"${location.pathname === p.path ? ' aria-current="page"' : ''}>${escapeHtml(t(p.key))}</a>`)
      .join('');
  }
  const who = document.querySelector('[data-who]');
  if (who) who.textContent = s ? `${s.email} (${t(`role.${s.access}`)})` : '';
  const out = document.querySelector('[data-signout]');
  if (out) {
    out.hidden = !s;
    out.addEventListener('click', signOut);
  }
  for (const select of document.querySelectorAll('[data-lang]')) {
    select.addEventListener('change', () => {
      document.cookie = `lang=${select.value}; path=/; max-age=31536000; samesite=lax`;
      location.reload();
    });
  }
  if (s) scheduleRenewal(s);
}

/**
 * The session when it has one of the roles. Signed out: to the sign-in page. Another role: a message on the page.
 * Either way the returned promise never settles, so the page's script stops there without an error.
 */
export async function requireRole(roles) {
  const s = session();
  if (!s) {
    toLogin();
    return halt();
  }
  if (!roles.includes(s.access)) {
    document.querySelector('main').innerHTML = `<div class="card" role="alert"><h1>${escapeHtml(t('refused.title'))}</h1><p>${escapeHtml(t('refused.text'))} <a href="/">${escapeHtml(t('refused.back'))}</a></p></div>`;
    return halt();
  }
  return s;
}

/** An API refusal or failure, with the server's `code`, `status` and field errors (422: `detail` as a list). */
export class ApiError extends Error {
  constructor(status, body) {
    const detail = body?.detail;
    super(typeof detail === 'string' ? detail : Array.isArray(detail) ? detail.map((d) => d.msg).join('; ') : t('error.request_failed', { status }));
    this.status = status;
    this.code = body?.code ?? null;
    this.fields = Array.isArray(detail) ? detail : [];
  }
}

/** JSON (or the raw response) from the API with the session's token; throws ApiError with the server's message. */
export async function api(path, opts = {}) {
  let s = session();
  if (s && s.exp * 1000 - Date.now() < 10_000) s = await renew();
  const send = (token) =>
    fetch(path, {
      ...opts,
      headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(opts.json !== undefined ? { 'Content-Type': 'application/json' } : {}), ...(opts.headers ?? {}) },
      body: opts.json !== undefined ? JSON.stringify(opts.json) : opts.body,
    });
  let res = await send(s?.token).catch(() => null);
  if (!res) throw new ApiError(0, { detail: t('error.offline') });
  if (res.status === 401 && s) {
    // Revoked or expired under us: one renewal, then the sign-in page.
    const fresh = await renew();
    if (fresh) res = await send(fresh.token);
    if (res.status === 401) {
      sessionStorage.removeItem(KEY);
      toLogin();
      return halt();
    }
  }
  if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => ({})));
  return opts.raw ? res : res.status === 204 ? null : res.json();
}

/** Shows "live" / "reconnecting" / "offline" in an element with role=status. */
export function showConnection(el, state) {
  el.className = `pill status-${state}`;
  el.textContent = t(`conn.${state}`);
}

export const escapeHtml = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

/** The browser's own zone: times in another zone say which. */
export const BROWSER_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;
const formats = new Map();
function format(tz, opts) {
  const key = `${tz}|${JSON.stringify(opts)}`;
  if (!formats.has(key)) formats.set(key, new Intl.DateTimeFormat('en-CA', { ...opts, ...(tz ? { timeZone: tz } : {}) }));
  return formats.get(key);
}

/** HH:MM (24 h) of an instant, in a zone (the browser's when none is given). */
export const hhmm = (iso, tz) => (iso ? format(tz, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(iso)) : '');
/** YYYY-MM-DD of an instant, in a zone. */
export const isoDate = (iso, tz) => (iso ? format(tz, { year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(iso)) : '');
/** Date and time, ISO-like: 2026-12-04 09:05, with the zone named when it is not the browser's. */
export const dateTime = (iso, tz) => (iso ? `${isoDate(iso, tz)} ${hhmm(iso, tz)}${zoneSuffix(tz)}` : '');
/** " (Europe/Berlin)" when the zone differs from the browser's, else nothing. */
export const zoneSuffix = (tz) => (tz && tz !== BROWSER_ZONE ? ` (${tz})` : '');
/** "Times in Europe/Berlin" — or "" where the zone is the browser's own. */
export const zoneNote = (tz) => (tz && tz !== BROWSER_ZONE ? t('zone.times_in', { zone: tz }) : '');
/** Minutes as H:MM. */
export const hours = (minutes) => `${Math.floor((minutes ?? 0) / 60)}:${String(Math.round(minutes ?? 0) % 60).padStart(2, '0')}`;
/** Today's date in a zone. */
export const todayIn = (tz) => isoDate(new Date().toISOString(), tz);

/** Shows a message in a live region (role=status or alert). */
export function say(el, text) {
  if (el) el.textContent = text ?? '';
}

/**
 * Runs a form's submit: the browser's own checks first (shown next to the fields), then `submit(values)`; the API's
 * field errors (422 `detail[].loc`) are shown next to their fields, other refusals under the form.
 */
export function bindForm(form, submit) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    let invalid = false;
    for (const el of form.elements) {
      if (el.willValidate && !el.checkValidity()) {
        showFieldError(form, el.name, el.validationMessage);
        invalid = true;
      }
    }
    if (invalid) return void form.querySelector(':invalid')?.focus();
    const button = form.querySelector('button[type="submit"]');
    if (button) button.disabled = true;
    try {
      await submit(form);
    } catch (e) {
      if (e instanceof ApiError && e.fields.length) {
        for (const f of e.fields) if (!showFieldError(form, String(f.loc?.[f.loc.length - 1] ?? ''), f.msg)) showFieldError(form, 'form', f.msg);
      } else {
        showFieldError(form, 'form', e.message);
      }
    } finally {
      if (button) button.disabled = false;
    }
  });
}

export function clearErrors(form) {
  for (const el of form.querySelectorAll('[data-error-for]')) el.textContent = '';
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
}

/** A message next to the field named `name` (or under the form for 'form'); false when there is no such field. */
export function showFieldError(form, name, message) {
  const input = name === 'form' ? null : form.elements.namedItem(name);
  const id = input?.id ?? (name === 'form' ? 'form' : null);
  const slot = id && form.querySelector(`[data-error-for="${id}"]`);
  if (!slot) return false;
  slot.textContent = message;
  if (input) {
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', slot.id || (slot.id = `${id}-error`));
  }
  return true;
}

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

export function onSessionEnded(socket) {
  socket.on('session:ended', async ({ reason } = {}) => {
    if (reason === 'token_expired' && (await renew())) return void socket.connect();
    sessionStorage.removeItem(KEY);
    toLogin();
  });
}

drawChrome();
