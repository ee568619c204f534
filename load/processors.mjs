// Artillery processor for the Check-in Hub scenarios: the dynamic data (unique client_event_ids, badges, teams,
// dates, questions), fresh tokens when one is about to expire, and the checks of socket acknowledgements and REST
// statuses. Loaded once per artillery worker. Function steps are (context, events, done); hooks are
// (req, res, context, events, done). `events.emit('counter' | 'histogram', name, value)` adds to the report;
// `events.emit('error', code)` counts as `errors.<code>`.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { Socket } from 'socket.io-client';

const DATA_DIR = process.env.LOAD_DATA_DIR ?? '';
const TARGET = process.env.LOAD_TARGET ?? 'http://127.0.0.1:8000';
const RUN_ID = process.env.LOAD_RUN_ID ?? Date.now().toString(36);
// The whole run, for the watchers that stay to the end (boards).
const STARTED_AT = Date.now();
const DURATION_MS = Number(process.env.LOAD_DURATION ?? 60) * 1000;
const ACK_TIMEOUT_MS = Number(process.env.LOAD_ACK_TIMEOUT_MS ?? 10_000);
const ANSWER_TIMEOUT_MS = Number(process.env.LOAD_ANSWER_TIMEOUT_MS ?? 35_000);
const MAX_PAGES = 5;

/** Rows of a CSV that run.ts wrote (a header line, no quoting needed: ids, badges, emails, tokens). */
function readRows(name) {
  if (!DATA_DIR) return [];
  let text;
  try {
    text = readFileSync(join(DATA_DIR, name), 'utf8');
  } catch {
    return [];
  }
  const [header, ...lines] = text.trim().split('\n');
  const keys = header.split(',');
  return lines.filter(Boolean).map((line) => Object.fromEntries(line.split(',').map((v, i) => [keys[i], v])));
}

const badges = readRows('badges.csv');
const teams = readRows('teams.csv').map((t) => Number(t.team_id));
const pick = (list) => list[Math.floor(Math.random() * list.length)];

// --- unique ids, badges, teams, dates -------------------------------------------------------------------------

let sequence = 0;
/** An id no other punch of any run has used: run, worker process and thread, counter, randomness. */
function uniqueId(prefix) {
  sequence += 1;
  return `${prefix}-${RUN_ID}-${process.pid}.${threadId}-${sequence}-${randomBytes(3).toString('hex')}`;
}

/** Sets client_event_id to a fresh unique id. */
export function newEventId(context, _events, done) {
  context.vars.client_event_id = uniqueId('load');
  return done();
}

/** A kiosk's next punch: a random badge, a fresh client_event_id, and the moment of the read (occurred_at). */
export function nextPunch(context, events, done) {
  if (badges.length === 0) {
    events.emit('error', 'no_badges');
    return done(new Error('no badges: run through npm run load (it writes badges.csv)'));
  }
  context.vars.badge_id = pick(badges).badge_id;
  context.vars.client_event_id = uniqueId('kiosk');
  context.vars.occurred_at = new Date().toISOString();
  return done();
}

/** REST punches: a random badge and a fresh client_event_id. */
export function pickBadge(context, events, done) {
  if (badges.length === 0) {
    events.emit('error', 'no_badges');
    return done(new Error('no badges'));
  }
  context.vars.badge_id = pick(badges).badge_id;
  context.vars.client_event_id = uniqueId('rest');
  return done();
}

const isoDate = (d) => d.toISOString().slice(0, 10);
const daysAgo = (n) => isoDate(new Date(Date.now() - n * 86_400_000));

/** Dates and filters for the list calls: today, 7 and 30 days back, a random team, a page of employees, a search. */
export function pickFilters(context, _events, done) {
  context.vars.today = daysAgo(0);
  context.vars.from7 = daysAgo(7);
  context.vars.from30 = daysAgo(30);
  context.vars.team_id = teams.length ? pick(teams) : 1;
  const employeePages = Math.max(1, Math.ceil(badges.length / 50));
  context.vars.employee_skip = Math.floor(Math.random() * employeePages) * 50;
  context.vars.q = pick(['a', 'an', 'er', 'li', 'son', 'ma']);
  context.vars.status = pick(['Late', 'Present', 'Absent', 'Remote']);
  context.vars.skip = 0;
  context.vars.pages = 0;
  context.vars.page_size = 25; // small pages, so a week of a team takes a few
  return done();
}

/** After a page: move `skip` on by the page size. */
export function nextPage(context, _events, done) {
  context.vars.pages = Number(context.vars.pages ?? 0) + 1;
  context.vars.skip = Number(context.vars.skip ?? 0) + Number(context.vars.page_size ?? 100);
  return done();
}

/** Loop condition of the paging loops: more rows (X-Total-Count), at most MAX_PAGES pages. */
export function morePages(context, next) {
  const pages = Number(context.vars.pages ?? 0);
  const total = Number(context.vars.total ?? 0);
  return next(pages === 0 || (pages < MAX_PAGES && Number(context.vars.skip ?? 0) < total));
}

// --- tokens ---------------------------------------------------------------------------------------------------

const tokenCache = new Map(); // email -> { token, exp }
const expiry = (token) => {
  try {
    return JSON.parse(Buffer.from(String(token).split('.')[1], 'base64url').toString()).exp * 1000;
  } catch {
    return 0;
  }
};

/** The token for these credentials: the given one while it has a minute left, else a fresh one from POST /token. */
async function tokenFor(email, password, given, events) {
  const cached = tokenCache.get(email);
  if (cached && cached.exp - Date.now() > 60_000) return cached.token;
  if (given && expiry(given) - Date.now() > 60_000) {
    tokenCache.set(email, { token: given, exp: expiry(given) });
    return given;
  }
  const res = await fetch(new URL('/token', TARGET), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: email, password }),
    signal: AbortSignal.timeout(15_000),
  });
  events.emit('counter', 'tokens.fetched', 1);
  if (!res.ok) throw new Error(`token_${res.status}`);
  const { access_token } = await res.json();
  tokenCache.set(email, { token: access_token, exp: expiry(access_token) });
  return access_token;
}

const useRole = (role) => async (context, events) => {
  const v = context.vars;
  try {
    v.token = await tokenFor(v[`${role}_email`], v[`${role}_password`], v[`${role}_token`], events);
  } catch (error) {
    events.emit('error', error.message);
    throw error;
  }
};
/** Acts as the admin of this VU's admins.csv row (the token refreshed when it is about to expire). */
export const useAdmin = useRole('admin');
/** Acts as the manager of this VU's managers.csv row; team_id becomes the manager's team. */
export async function useManager(context, events) {
  await useRole('manager')(context, events);
  context.vars.team_id = context.vars.manager_team_id;
}

/** beforeRequest hook: `Authorization: Bearer <token>` when the VU has one. */
export function authorize(req, context, _events, done) {
  if (context.vars.token) req.headers = { ...req.headers, authorization: `Bearer ${context.vars.token}` };
  return done();
}

// --- REST checks ----------------------------------------------------------------------------------------------

const PUNCH_PATH = /\/attendance\/check-(in|out)\/?$/;

/**
 * afterResponse hook: a status the API should not give here counts as `errors.http_<status>`. The one expected
 * refusal is 409 on a punch (already checked in / not checked in), counted as `punch.conflict`.
 */
export function checkStatus(req, res, context, events, done) {
  const status = res.statusCode;
  const path = new URL(req.url, TARGET).pathname;
  if (PUNCH_PATH.test(path)) {
    context.vars.last_punch_status = status;
    if (status === 409) {
      events.emit('counter', 'punch.conflict', 1);
      return done();
    }
    if (status < 300) {
      try {
        const body = JSON.parse(res.body);
        events.emit('counter', body.duplicate ? 'punch.duplicate' : `punch.${body.action}`, 1);
        context.vars.last_punch_duplicate = body.duplicate;
      } catch {
        events.emit('error', 'punch_bad_body');
      }
    }
  }
  if (status >= 400) events.emit('error', `http_${status}`);
  return done();
}

/** Remembers how the first attempt of a punch ended, before the retry with the same client_event_id. */
export function rememberPunch(context, _events, done) {
  context.vars.first_status = context.vars.last_punch_status;
  return done();
}

/** After the retry: the same client_event_id must give the first result again, marked `duplicate` (nothing written twice). */
export function checkRetry(context, events, done) {
  const first = context.vars.first_status;
  const retry = context.vars.last_punch_status;
  if (first < 300 && !(retry < 300 && context.vars.last_punch_duplicate === true)) events.emit('error', 'retry_not_duplicate');
  else if (first >= 300 && retry !== first) events.emit('error', 'retry_status_changed');
  else events.emit('counter', 'punch.retry_ok', 1);
  return done();
}

// --- sockets --------------------------------------------------------------------------------------------------

const socketOf = (context) => context.sockets?.[''];

// How long each virtual user's socket took to connect (TCP, websocket upgrade, Engine.IO open, the hub's handshake
// auth, namespace connect): artillery's socketio engine does not measure it, and a burst of connections is what
// shift-change is about (a hub that accepts too slowly shows here first, before connect timeouts). The engine creates
// the socket, which opens at once, waits for `connect`, then runs the flow, whose first step is guardAcks: it reports
// the time since the open as `socketio.connect_ms`. The socket class is the engine's own (one socket.io-client here).
// (`open()` is an alias of `connect()`, which the constructor reaches through it.)
const OPENED_AT = Symbol('openedAt');
const connect = Socket.prototype.connect;
Socket.prototype.connect = function connectStamped(...args) {
  this[OPENED_AT] ??= performance.now();
  return connect.apply(this, args);
};

/**
 * Bounds every acknowledgement: artillery's socketio engine waits for an ack forever, so a hub that never answers
 * would keep the run going. Each emit with an ack callback gets ACK_TIMEOUT_MS; then the callback receives
 * `{ ok: false, error: { code: 'timeout' } }` (or `disconnected` when the socket closed first): errors.ack_timeout.
 */
export function guardAcks(context, events, done) {
  const socket = socketOf(context);
  if (!socket) {
    events.emit('error', 'no_socket');
    return done(new Error('no socket'));
  }
  if (socket[OPENED_AT] !== undefined) events.emit('histogram', 'socketio.connect_ms', performance.now() - socket[OPENED_AT]);
  const proto = Object.getPrototypeOf(socket);
  socket.emit = function emit(event, ...args) {
    if (typeof args[args.length - 1] !== 'function') return proto.emit.call(this, event, ...args);
    const ack = args.pop();
    this.timeout(ACK_TIMEOUT_MS); // sets the flag read by the emit below (socket.io-client 4.4+)
    return proto.emit.call(this, event, ...args, (err, ...result) => {
      if (!err) return ack(...result);
      const code = /disconnect/.test(err.message) ? 'disconnected' : 'timeout';
      return ack({ ok: false, error: { code, message: err.message } });
    });
  };
  return done();
}

/** Takes the captured acknowledgement out of the context; counts `errors.ack_<code>` when it is not ok. */
function takeAck(context, events) {
  const ack = context.vars.ack;
  delete context.vars.ack;
  if (ack && typeof ack === 'object' && ack.ok === true) return ack;
  events.emit('error', `ack_${ack?.error?.code ?? 'missing'}`);
  return null;
}

/** After `attendance:check`: `ok` with an action (check_in / check_out), counted as punch.<action>. */
export function checkPunchAck(context, events, done) {
  const ack = takeAck(context, events);
  if (ack) events.emit('counter', ack.duplicate ? 'punch.duplicate' : `punch.${ack.action}`, 1);
  return done();
}

/** After `board:join`: the snapshot's sequence number is where the board starts counting changes. */
export function checkJoinAck(context, events, done) {
  const ack = takeAck(context, events);
  if (!ack) return done(new Error('board:join refused'));
  context.vars.board_seq = ack.seq;
  return done();
}

/** A generic ack check (board:leave and the like). */
export function checkAck(context, events, done) {
  takeAck(context, events);
  return done();
}

/**
 * Watches the board until the run's end: counts `attendance:changed` (and the time from the punch to its arrival,
 * `board.delivery_ms`: kiosks send occurred_at, and the hub and artillery share a clock), `summary:updated` and
 * `board:refresh`. A gap in the team's `seq` (or a refresh) re-joins for a fresh snapshot, as a real board does.
 */
export function watchBoard(context, events, done) {
  const socket = socketOf(context);
  const team = Number(context.vars.team_id);
  let seq = Number(context.vars.board_seq ?? 0);
  let rejoining = false;
  let finished = false;

  const rejoin = (reason) => {
    if (rejoining) return;
    rejoining = true;
    events.emit('counter', `board.rejoin.${reason}`, 1);
    const started = Date.now();
    socket.emit('board:join', { team_id: team }, (ack) => {
      rejoining = false;
      if (!ack?.ok) return events.emit('error', `ack_${ack?.error?.code ?? 'missing'}`);
      events.emit('histogram', 'board.rejoin_ms', Date.now() - started);
      seq = Math.max(seq, ack.seq);
    });
  };
  const onChanged = (change) => {
    events.emit('counter', 'board.attendance_changed', 1);
    const at = change.action === 'check_out' ? change.record?.check_out_time : change.action === 'check_in' ? change.record?.check_in_time : null;
    if (at) events.emit('histogram', 'board.delivery_ms', Math.max(0, Date.now() - Date.parse(at)));
    if (change.team_id !== team || rejoining) return;
    if (change.seq === seq + 1) seq = change.seq;
    else if (change.seq > seq + 1) {
      events.emit('counter', 'board.seq_gap', 1);
      seq = change.seq;
      rejoin('gap');
    } else events.emit('counter', 'board.stale_event', 1);
  };
  const onSummary = () => events.emit('counter', 'board.summary_updated', 1);
  const onRefresh = () => rejoin('refresh');
  const onEnded = (info) => finish(`session_ended_${info?.reason ?? 'unknown'}`);
  const onDisconnect = () => finish('board_disconnected');

  const timer = setTimeout(() => finish(null), Math.max(5_000, STARTED_AT + DURATION_MS - Date.now()));
  function finish(error) {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    socket.off('attendance:changed', onChanged);
    socket.off('summary:updated', onSummary);
    socket.off('board:refresh', onRefresh);
    socket.off('session:ended', onEnded);
    socket.off('disconnect', onDisconnect);
    if (error) {
      events.emit('error', error);
      return done(new Error(error));
    }
    return done();
  }
  socket.on('attendance:changed', onChanged);
  socket.on('summary:updated', onSummary);
  socket.on('board:refresh', onRefresh);
  socket.on('session:ended', onEnded);
  socket.on('disconnect', onDisconnect);
}

// --- assistant ------------------------------------------------------------------------------------------------

// The planner's own examples (src/modules/assistant/examples.json), and a few more shapes it understands.
const QUESTIONS = [
  ...JSON.parse(readFileSync(new URL('../src/modules/assistant/examples.json', import.meta.url), 'utf8')),
  'Compare Engineering and Support last month',
  'What was the attendance rate in Engineering this month?',
  'Who was remote last Friday?',
];

/** A question and a request_id for it. */
export function pickQuestion(context, _events, done) {
  context.vars.message = pick(QUESTIONS);
  context.vars.request_id = uniqueId('ask');
  return done();
}

/**
 * Before `assistant:ask`: listens for this request's `assistant:done` / `assistant:error` (registered first: an
 * in-process job may answer before the ack arrives) and keeps the outcome as a promise for awaitAnswer.
 */
export function listenAnswer(context, _events, done) {
  const socket = socketOf(context);
  const id = context.vars.request_id;
  const started = Date.now();
  let cancel = () => {};
  const promise = new Promise((resolve) => {
    let firstStep = null;
    let deltas = 0;
    const onStep = (s) => {
      if (s.request_id === id && firstStep === null) firstStep = Date.now() - started;
    };
    const onDelta = (d) => {
      if (d.request_id === id) deltas++;
    };
    const end = (outcome) => {
      clearTimeout(timer);
      socket.off('assistant:step', onStep);
      socket.off('assistant:delta', onDelta);
      socket.off('assistant:done', onDone);
      socket.off('assistant:error', onError);
      resolve({ ...outcome, ms: Date.now() - started, firstStep, deltas });
    };
    const onDone = (d) => d.request_id === id && end({ ok: true, tools: d.tools_used?.length ?? 0 });
    const onError = (e) => e.request_id === id && end({ ok: false, code: e.code });
    const timer = setTimeout(() => end({ ok: false, code: 'answer_timeout' }), ANSWER_TIMEOUT_MS);
    cancel = () => end({ ok: false, code: 'cancelled' });
    socket.on('assistant:step', onStep);
    socket.on('assistant:delta', onDelta);
    socket.on('assistant:done', onDone);
    socket.on('assistant:error', onError);
  });
  context.answer = { promise, cancel };
  return done();
}

/** After `assistant:ask` was acknowledged: waits for the streamed answer; `assistant.answer_ms` from ask to done. */
export async function awaitAnswer(context, events) {
  const ack = takeAck(context, events);
  const { promise, cancel } = context.answer;
  delete context.answer;
  if (!ack) return cancel(); // refused (rate_limited, forbidden…): counted by takeAck; no answer will come
  const answer = await promise;
  if (!answer.ok) {
    events.emit('error', `assistant_${answer.code}`);
    return;
  }
  events.emit('counter', 'assistant.answers', 1);
  events.emit('histogram', 'assistant.answer_ms', answer.ms);
  if (answer.firstStep !== null) events.emit('histogram', 'assistant.first_step_ms', answer.firstStep);
  events.emit('counter', 'assistant.tool_calls', answer.tools);
}

/** afterResponse of POST /chat/: an answer with text, counted as assistant.answers. */
export function checkChat(req, res, context, events, done) {
  if (res.statusCode === 200) {
    try {
      const body = JSON.parse(res.body);
      if (typeof body.response === 'string' && body.response.length > 0) events.emit('counter', 'assistant.answers', 1);
      else events.emit('error', 'chat_empty_answer');
    } catch {
      events.emit('error', 'chat_bad_body');
    }
  }
  return checkStatus(req, res, context, events, done);
}
