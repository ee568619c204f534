// npm run faults -- [--punches 10000] [--kiosks 50] [--short] [--seconds S]
//
// Fault injection against a scale-out hub: two API instances and one worker on a scratch PostgreSQL database and a
// private Redis key prefix. Simulated kiosks (socket.io-client, websocket transport, an offline queue each, resending
// every unacknowledged punch with the SAME client_event_id until it is acked) send N punches for random badges while
// the script, in sequence:
//   1. SIGKILLs API instance A and restarts it,
//   2. restarts Redis (no persistence: every key is gone afterwards),
//   3. restarts PostgreSQL,
//   4. drops the connections of a random half of the kiosks (io.engine.close()).
// Throughout the run, one punch in twenty is poison (a badge with a NUL byte, refused at the edge, or one sent by a
// kiosk whose punches the database itself refuses, through a constraint of the scratch database), and a few of the
// employees being punched are deleted over REST: every other punch must still be stored exactly once.
// Each fault starts once its share of the punches is out, while the next share is being generated. Then, once every
// punch is acked (or a deadline passes), it checks the database: every punch stored exactly once, none lost, every
// attendance record of the days punched consistent with its punches (the rule of punch.batch.ts `decide()`), fresh
// board snapshots equal to the database on both instances, and summaries equal to a direct SQL count after the next
// recompute. It also reports (for information, not in the exit code) what two boards that stayed open through the
// faults show at the end. Progress goes to stderr, the result table to stdout; the exit code is 1 when anything was
// lost, doubled or inconsistent (records, fresh boards, summaries), 2 on bad arguments. Child logs stay in /tmp.
//
// PostgreSQL and Redis are shared with whatever else runs on this machine: they are restarted here, and always brought
// back up at the end (normal end, error, SIGINT/SIGTERM).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, readdirSync, type WriteStream } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import { io, type Socket } from 'socket.io-client';
import { api, children, eachLine, login, ROOT, RUN_ID, sleep, withTimeout } from '../bench/lib.ts';
import { arrivalStatus, DEFAULT_SCHEDULE, type CheckResult } from '../src/modules/attendance/index.ts';
import type { BoardSnapshot } from '../src/modules/boards/index.ts';
import type { ClientToServer, ErrorAck, ServerToClient } from '../src/modules/realtime/events.ts';

// ---------------------------------------------------------------------------------------------------------------
// Arguments and constants

const { values: args } = parseArgs({
  options: {
    punches: { type: 'string' },
    kiosks: { type: 'string', default: '50' },
    short: { type: 'boolean', default: false },
    seconds: { type: 'string' },
    faults: { type: 'string', default: 'kill,redis,postgres,drop' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.error('npm run faults -- [--punches 10000] [--kiosks 50] [--short] [--seconds S]\n' +
    '  --short     1,000 punches over ~20 s (default: 10,000 over ~80 s)\n' +
    '  --seconds   how long the kiosks keep generating punches (the faults are spread over that time)\n' +
    '  --faults    which faults, in this order (default kill,redis,postgres,drop)');
  process.exit(0);
}
const intArg = (name: string, value: string | undefined, fallback: number, min: number, max: number) => {
  const n = value === undefined ? fallback : Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    console.error(`--${name} must be a whole number from ${min} to ${max}`);
    process.exit(2);
  }
  return n;
};
const PUNCHES = intArg('punches', args.punches, args.short ? 1_000 : 10_000, 1, 1_000_000);
const KIOSKS = intArg('kiosks', args.kiosks, 50, 1, 1_000);
const SECONDS = intArg('seconds', args.seconds, args.short ? 20 : 80, 4, 3_600);
const FAULTS = args.faults.split(',').map((s) => s.trim()).filter(Boolean);
for (const f of FAULTS) {
  if (!['kill', 'redis', 'postgres', 'drop'].includes(f)) {
    console.error(`--faults: unknown fault "${f}" (kill, redis, postgres, drop)`);
    process.exit(2);
  }
}

const TZ = 'UTC';
const PG_HOST = '127.0.0.1';
const PG_PORT = 5432;
const PG_ADMIN_URL = `postgres://postgres@${PG_HOST}:${PG_PORT}/postgres`;
const REDIS_PORT = 6379;
const REDIS_URL = `redis://127.0.0.1:${REDIS_PORT}`;
const DB_NAME = `checkin_faults_${RUN_ID}`;
const DB_URL = `postgres://postgres@${PG_HOST}:${PG_PORT}/${DB_NAME}`;
const REDIS_PREFIX = `faults:${RUN_ID}:`;
const ADMIN_EMAIL = 'faults-admin@example.com';
const ADMIN_PASSWORD = `Faults-${randomBytes(9).toString('base64url')}-42`;
const SECRET_KEY = randomBytes(48).toString('base64url');
const EVENT_PREFIX = `faults-${RUN_ID}-`;
const LOG_DIR = join(os.tmpdir(), `checkin-faults-${RUN_ID}`);

const ACK_TIMEOUT_MS = 6_000;
/** REST calls may wait for a hub that is reconnecting to PostgreSQL or Redis. */
const API_TIMEOUT_MS = 60_000;
const WINDOW = 8; // punches in flight per kiosk
const DRAIN_DEADLINE_MS = args.short ? 120_000 : 300_000;
const PERMANENT_CODES = new Set([
  'validation_error', 'unknown_badge', 'forbidden', 'employee_inactive', 'occurred_too_old', 'occurred_in_future',
  'client_event_id_conflict', 'record_deleted', 'not_checked_in', 'already_checked_in', 'not_found', 'punch_refused',
]);
/** Share of the punches that are poison, and how many employees are deleted during the run. */
const POISON_SHARE = 0.05;
const DOOMED = args.short ? 5 : 12;
/** The kiosk whose punches the scratch database refuses (a constraint on punches.device). */
const POISON_KIOSK = 'Poison door';
/** What a punch is: an ordinary one, poison (refused by the edge or by the database), or one for someone deleted during the run. */
type Kind = 'good' | 'nul' | 'refused' | 'doomed';
const POISON_CODES: Record<'nul' | 'refused', string> = { nul: 'validation_error', refused: 'punch_refused' };

// ---------------------------------------------------------------------------------------------------------------
// Small helpers

const t0 = Date.now();
const stamp = () => `${new Date().toISOString()} +${((Date.now() - t0) / 1000).toFixed(1)}s`;
const log = (msg: string) => process.stderr.write(`[faults ${stamp()}] ${msg}\n`);
const fmt = (n: number) => n.toLocaleString('en');

async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 200) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await Promise.resolve().then(check).catch(() => false)) return;
    await sleep(everyMs);
  }
  throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
}

/** Runs a command to completion (bounded); resolves with its output, rejects on failure. */
function sh(cmd: string, argv: string[], timeoutMs = 60_000, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, argv, { cwd: ROOT, env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${cmd} ${argv.join(' ')}: ${error.message}\n${String(stderr).slice(-2000)}`));
      else resolve(String(stdout));
    });
  });
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await withTimeout(client.query<T>(sql, params), 120_000, sql.slice(0, 80))).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// PostgreSQL and Redis as services (shared with everything else on this machine)

const PG_VERSION = (() => {
  try {
    return readdirSync('/etc/postgresql').sort().at(-1) ?? '15';
  } catch {
    return '15';
  }
})();
const pgCtl = (action: 'start' | 'stop' | 'restart') => sh('pg_ctlcluster', ['--skip-systemctl-redirect', PG_VERSION, 'main', action], 120_000);
const pgReady = () => sh('pg_isready', ['-h', PG_HOST, '-p', String(PG_PORT), '-t', '2'], 10_000).then(() => true, () => false);
const redisUp = () => sh('redis-cli', ['-p', String(REDIS_PORT), 'ping'], 5_000).then((out) => out.trim() === 'PONG', () => false);
const redisStart = () =>
  sh('redis-server', ['--daemonize', 'yes', '--bind', '127.0.0.1', '--port', String(REDIS_PORT), '--save', '', '--appendonly', 'no'], 30_000);
const redisStop = () => sh('redis-cli', ['-p', String(REDIS_PORT), 'shutdown', 'nosave'], 30_000).catch(() => '');

/** Brings PostgreSQL and Redis back if they are down; never throws. */
async function ensureServicesUp() {
  try {
    if (!(await pgReady())) {
      log(`PostgreSQL is down: starting cluster ${PG_VERSION}/main`);
      await pgCtl('start').catch((error) => log(`pg_ctlcluster start: ${(error as Error).message}`));
      await waitFor('PostgreSQL up', pgReady, 60_000);
    }
  } catch (error) {
    log(`could not bring PostgreSQL up: ${(error as Error).message}`);
  }
  try {
    if (!(await redisUp())) {
      log('Redis is down: starting redis-server');
      await redisStart().catch((error) => log(`redis-server: ${(error as Error).message}`));
      await waitFor('Redis up', redisUp, 30_000);
    }
  } catch (error) {
    log(`could not bring Redis up: ${(error as Error).message}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Child processes: the two API instances and the worker

type Proc = {
  name: string;
  child: ChildProcess;
  url: string | null;
  errorLines: string[];
  tail: string[];
  exited: Promise<void>;
  /** Set when this script ended it on purpose (fault or cleanup). */
  expectedExit: boolean;
};

const HUB_ENV = (): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? '/tmp',
  NODE_ENV: 'development',
  HOST: '127.0.0.1',
  PORT: '0',
  LOG_LEVEL: 'info',
  TIMEZONE: TZ,
  DATA_DIR: join(LOG_DIR, 'data'),
  DATABASE_URL: DB_URL,
  REDIS_URL,
  REDIS_PREFIX,
  SECRET_KEY,
  ACCESS_TOKEN_EXPIRE_MINUTES: '240',
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  MIGRATE_ON_START: 'false',
  JOB_SCHEDULES: 'false',
  KIOSK_PUNCHES_PER_SECOND: '5000',
  KIOSK_PUNCH_BURST: '50000',
  SOCKET_EVENTS_PER_SECOND: '5000',
  SOCKET_EVENT_BURST: '50000',
  SOCKET_MAX_PER_USER: '100000',
  SOCKET_HANDSHAKES_PER_MINUTE: '1000000',
  LOGIN_MAX_FAILURES: '1000',
  LOGIN_MAX_FAILURES_PER_ADDRESS: '100000',
});

const unexpectedExits: string[] = [];

/** Starts src/main.ts or src/worker.ts and resolves once it is ready; its output goes to a file under LOG_DIR. */
function startProc(name: string, script: 'src/main.ts' | 'src/worker.ts', timeoutMs = 120_000): Promise<Proc> {
  const child = spawn(process.execPath, [script], { cwd: ROOT, env: HUB_ENV(), stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const file: WriteStream = createWriteStream(join(LOG_DIR, `${name}.log`), { flags: 'a' });
  file.write(`--- ${new Date().toISOString()} start ${script} (pid ${child.pid})\n`);
  const proc: Proc = {
    name, child, url: null, errorLines: [], tail: [], expectedExit: false,
    exited: new Promise((resolve) => child.once('exit', () => resolve())),
  };
  const remember = (line: string) => {
    proc.tail.push(line);
    if (proc.tail.length > 40) proc.tail.shift();
  };
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    file.write(chunk);
    for (const line of chunk.split('\n')) if (line.trim()) remember(line);
  });
  return new Promise<Proc>((resolve, reject) => {
    let ready = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} not ready within ${timeoutMs / 1000} s:\n${proc.tail.join('\n')}`));
    }, timeoutMs);
    child.stdout!.on('data', (chunk: string) => file.write(chunk));
    eachLine(child.stdout!, (line) => {
      remember(line);
      let entry: { level?: number; msg?: string; port?: number } | null = null;
      try {
        entry = line.startsWith('{') ? JSON.parse(line) : null;
      } catch {
        entry = null;
      }
      if (entry && (entry.level ?? 0) >= 50) proc.errorLines.push(line);
      if (ready) return;
      if (script === 'src/main.ts' && entry?.msg?.startsWith('ready on') && typeof entry.port === 'number') {
        proc.url = `http://127.0.0.1:${entry.port}`;
      } else if (!(script === 'src/worker.ts' && entry?.msg === 'worker ready')) {
        return;
      }
      ready = true;
      clearTimeout(timer);
      resolve(proc);
    });
    child.once('exit', (code, signal) => {
      children.delete(child);
      file.end(`--- ${new Date().toISOString()} exited with ${code ?? signal}\n`);
      if (!ready) {
        clearTimeout(timer);
        reject(new Error(`${name} exited with ${code ?? signal} before it was ready:\n${proc.tail.join('\n')}`));
      } else if (!proc.expectedExit) {
        unexpectedExits.push(`${name} (pid ${child.pid}) exited with ${code ?? signal} at ${new Date().toISOString()}`);
        log(`UNEXPECTED: ${name} exited with ${code ?? signal}; last lines:\n${proc.tail.slice(-15).join('\n')}`);
        if (!finishing) void restartAfterCrash(name);
      }
    });
  });
}

/** startProc, tried again (up to 3 times) when the process dies before it is ready: something else on this machine may end it. */
async function startWithRetry(name: string, script: 'src/main.ts' | 'src/worker.ts'): Promise<Proc> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startProc(name, script);
    } catch (error) {
      if (attempt >= 3 || finishing) throw error;
      unexpectedExits.push(`${name} died while starting (attempt ${attempt}): ${(error as Error).message.split('\n')[0]}`);
      log(`UNEXPECTED: ${(error as Error).message.split('\n')[0]}; starting ${name} again`);
    }
  }
}

async function stopProc(proc: Proc | null, timeoutMs = 20_000) {
  if (!proc || proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  proc.expectedExit = true;
  proc.child.kill('SIGTERM');
  const graceful = await withTimeout(proc.exited, timeoutMs, `${proc.name} stop`).then(() => true, () => false);
  if (!graceful) {
    log(`${proc.name} did not stop within ${timeoutMs / 1000} s of SIGTERM: killing it`);
    proc.child.kill('SIGKILL');
    await withTimeout(proc.exited, 5_000, `${proc.name} kill`).catch(() => undefined);
  }
}

// The processes of the run: hubs[0] is instance A, hubs[1] instance B.
const hubs: (Proc | null)[] = [null, null];
let worker: Proc | null = null;
const everyProc: Proc[] = [];

/** A hub or the worker that died without being told to is started again (and reported). */
async function restartAfterCrash(name: string) {
  try {
    if (name === 'worker') {
      worker = await startWithRetry('worker', 'src/worker.ts');
      everyProc.push(worker);
    } else {
      const i = name === 'hub-A' ? 0 : 1;
      hubs[i] = null;
      hubs[i] = await startWithRetry(name, 'src/main.ts');
      everyProc.push(hubs[i]!);
    }
    log(`${name} restarted after its unexpected exit`);
  } catch (error) {
    log(`could not restart ${name}: ${(error as Error).message}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The simulated kiosks

type HubSocket = Socket<ServerToClient, ClientToServer>;

type Punch = {
  id: string;
  kind: Kind;
  kiosk: number;
  badge: string;
  employeeId: number;
  at: string;
  generatedAt: number;
  attempts: number;
  /** The attempt whose answer is awaited (0: none in flight). */
  inFlight: number;
  nextTryAt: number;
  acked: boolean;
  ackedAt: number;
  /** Acks that said duplicate: false (more than one means the punch was applied twice). */
  ackedNew: number;
  ackedDuplicate: number;
  rejected: string | null;
  errors: number;
};

const punches = new Map<string, Punch>();
const errorCodes: Record<string, number> = {};
const countCode = (code: string) => (errorCodes[code] = (errorCodes[code] ?? 0) + 1);
let ackMismatches = 0;
let finishing = false;

class Kiosk {
  readonly index: number;
  readonly token: string;
  socket: HubSocket | null = null;
  connectedTo: number | null = null;
  readonly queue: Punch[] = [];
  inFlight = 0;
  connects = 0;
  #reconnectTimer: NodeJS.Timeout | null = null;
  #pumpTimer: NodeJS.Timeout | null = null;
  #failures = 0;
  closed = false;

  constructor(index: number, token: string) {
    this.index = index;
    this.token = token;
  }

  get connected() {
    return this.socket?.connected ?? false;
  }

  /** Connects to instance `target` (A = 0, B = 1), or to a random one. */
  connect(target = Math.floor(Math.random() * hubs.length)) {
    if (this.closed) return;
    const hub = hubs[target];
    if (!hub?.url) return this.#scheduleReconnect();
    const socket: HubSocket = io(hub.url, {
      transports: ['websocket'],
      auth: { token: this.token },
      reconnection: false,
      forceNew: true,
      timeout: 5_000,
    });
    this.socket = socket;
    socket.on('connect', () => {
      this.connectedTo = target;
      this.connects++;
      this.#failures = 0;
      this.pump();
    });
    socket.on('connect_error', () => {
      this.#drop(socket);
      this.#scheduleReconnect();
    });
    socket.on('disconnect', () => {
      this.#drop(socket);
      this.#scheduleReconnect();
    });
  }

  #drop(socket: HubSocket) {
    socket.removeAllListeners();
    socket.close();
    if (this.socket !== socket) return;
    this.socket = null;
    this.connectedTo = null;
    // Whatever was in flight on that connection will be sent again on the next one.
    for (const p of this.queue) p.inFlight = 0;
    this.inFlight = 0;
  }

  #scheduleReconnect() {
    if (this.closed || this.#reconnectTimer) return;
    this.#failures++;
    const delay = Math.min(3_000, 200 * this.#failures) + Math.random() * 500;
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      this.connect();
    }, delay);
  }

  add(p: Punch) {
    this.queue.push(p);
    this.pump();
  }

  /** Sends the oldest unacknowledged punches, at most WINDOW at a time. */
  pump() {
    if (this.#pumpTimer) {
      clearTimeout(this.#pumpTimer);
      this.#pumpTimer = null;
    }
    const socket = this.socket;
    if (!socket?.connected || this.closed) return;
    const now = Date.now();
    let soonest = Infinity;
    for (const p of this.queue) {
      if (this.inFlight >= WINDOW) break;
      if (p.inFlight) continue;
      if (p.nextTryAt > now) {
        soonest = Math.min(soonest, p.nextTryAt);
        continue;
      }
      this.#send(socket, p);
    }
    if (soonest < Infinity && this.inFlight < WINDOW) this.#pumpTimer = setTimeout(() => this.pump(), soonest - now + 5);
  }

  #send(socket: HubSocket, p: Punch) {
    const attempt = ++p.attempts;
    p.inFlight = attempt;
    this.inFlight++;
    socket
      .timeout(ACK_TIMEOUT_MS)
      .emit('attendance:check', { badge_id: p.badge, client_event_id: p.id, occurred_at: p.at }, (err: Error | null, res?: { ok: true } & CheckResult | ErrorAck) => {
        const current = p.inFlight === attempt && this.socket === socket;
        if (current) {
          p.inFlight = 0;
          this.inFlight--;
        }
        if (!err && res?.ok) return this.#acked(p, res);
        // A late answer to an attempt already given up on changes nothing unless it is an ack.
        if (!current || p.acked) return;
        p.errors++;
        if (err) {
          countCode(socket.connected ? 'ack_timeout' : 'disconnected');
          p.nextTryAt = Date.now() + 250 + Math.random() * 500;
        } else if (res && !res.ok) {
          const code = res.error.code;
          countCode(code);
          if (PERMANENT_CODES.has(code)) {
            p.rejected = `${code}: ${res.error.message}`;
            this.#remove(p);
          } else if (code === 'rate_limited') {
            p.nextTryAt = Date.now() + (res.error.retry_after ?? 0.2) * 1000;
          } else {
            p.nextTryAt = Date.now() + Math.min(3_000, 200 * 2 ** Math.min(p.errors, 4)) * (0.5 + Math.random());
          }
        }
        this.pump();
      });
  }

  #acked(p: Punch, res: CheckResult) {
    if (res.duplicate) p.ackedDuplicate++;
    else p.ackedNew++;
    if (res.record.employee_id !== p.employeeId) ackMismatches++;
    if (!p.acked) {
      p.acked = true;
      p.ackedAt = Date.now();
      this.#remove(p);
    }
    this.pump();
  }

  #remove(p: Punch) {
    const i = this.queue.indexOf(p);
    if (i >= 0) this.queue.splice(i, 1);
  }

  dropConnection(): boolean {
    const socket = this.socket;
    if (!socket?.connected) return false;
    socket.io.engine.close();
    return true;
  }

  close() {
    this.closed = true;
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    if (this.#pumpTimer) clearTimeout(this.#pumpTimer);
    if (this.socket) {
      this.socket.removeAllListeners();
      this.socket.close();
      this.socket = null;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Live boards: an admin socket per instance that watches every team through the faults, as a board client is told to
// (apply `attendance:changed` in seq order; on a gap, a counter that went back, `board:refresh` or a reconnect, take a
// fresh snapshot with board:join). Informational: what a board that stayed open shows at the end.

type Member = { status: string | null; check_in_time: string | null; check_out_time: string | null };
type AttendanceChange = Parameters<ServerToClient['attendance:changed']>[0];

class BoardWatcher {
  readonly hubIndex: number;
  readonly token: string;
  readonly teams: number[];
  socket: HubSocket | null = null;
  readonly boards = new Map<number, { seq: number; members: Map<number, Member>; joining: AttendanceChange[] | null }>();
  rejoins = 0;
  applied = 0;
  /** Every change received, to explain a stale member: employee → [seq, team, what it says, what became of it]. */
  readonly history = new Map<number, string[]>();
  closed = false;
  #timer: NodeJS.Timeout | null = null;

  constructor(hubIndex: number, token: string, teams: number[]) {
    this.hubIndex = hubIndex;
    this.token = token;
    this.teams = teams;
  }

  connect() {
    if (this.closed) return;
    const hub = hubs[this.hubIndex];
    if (!hub?.url) return this.#later();
    const socket: HubSocket = io(hub.url, { transports: ['websocket'], auth: { token: this.token }, reconnection: false, forceNew: true, timeout: 5_000 });
    this.socket = socket;
    socket.on('connect', () => {
      for (const team of this.teams) void this.join(team);
    });
    const lost = () => {
      socket.removeAllListeners();
      socket.close();
      if (this.socket === socket) this.socket = null;
      this.#later();
    };
    socket.on('connect_error', lost);
    socket.on('disconnect', lost);
    socket.on('attendance:changed', (change) => this.#onChange(change));
    socket.on('board:refresh', ({ team_id }) => void this.join(team_id));
  }

  #later() {
    if (this.closed || this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.connect();
    }, 500 + Math.random() * 500);
  }

  async join(team: number) {
    const socket = this.socket;
    if (!socket?.connected || this.closed) return;
    const board = this.boards.get(team) ?? { seq: 0, members: new Map(), joining: null };
    this.boards.set(team, board);
    if (board.joining) return; // already joining: the snapshot will be fresh
    board.joining = [];
    this.rejoins++;
    try {
      const ack = await socket.timeout(10_000).emitWithAck('board:join', { team_id: team });
      if (!ack.ok) throw new Error(ack.error.code);
      const snap = ack as { ok: true } & BoardSnapshot;
      for (const m of snap.members) {
        const list = this.history.get(m.employee_id);
        if (list) list.push(`snapshot seq ${snap.seq}: ${m.check_in_time?.slice(11, 23) ?? '-'}–${m.check_out_time?.slice(11, 23) ?? '-'}`);
      }
      board.members = new Map(snap.members.map((m) => [m.employee_id, { status: m.status, check_in_time: m.check_in_time, check_out_time: m.check_out_time }]));
      board.seq = snap.seq;
      const buffered = board.joining.sort((x, y) => x.seq - y.seq);
      board.joining = null;
      for (const change of buffered) if (change.seq > board.seq) this.#onChange(change);
    } catch {
      board.joining = null;
      setTimeout(() => void this.join(team), 500);
    }
  }

  #note(change: AttendanceChange, fate: string) {
    const r = change.record;
    const list = this.history.get(change.employee.employee_id) ?? [];
    list.push(`seq ${change.seq} ${change.action} ${r.check_in_time ? new Date(r.check_in_time).toISOString().slice(11, 23) : '-'}–${r.check_out_time ? new Date(r.check_out_time).toISOString().slice(11, 23) : '-'} (${fate} at ${new Date().toISOString().slice(11, 23)})`);
    this.history.set(change.employee.employee_id, list.slice(-6));
  }

  #onChange(change: AttendanceChange) {
    if (change.team_id == null) return;
    const board = this.boards.get(change.team_id);
    if (!board) return;
    if (board.joining) {
      this.#note(change, 'held during a join');
      return void board.joining.push(change);
    }
    if (change.seq !== board.seq + 1) {
      this.#note(change, `dropped, board at seq ${board.seq}: re-join`);
      return void this.join(change.team_id); // a gap, or the counter went back
    }
    this.#note(change, 'applied');
    board.seq = change.seq;
    this.applied++;
    const r = change.record;
    board.members.set(change.employee.employee_id, change.action === 'deleted'
      ? { status: null, check_in_time: null, check_out_time: null }
      : { status: r.status, check_in_time: r.check_in_time ? new Date(r.check_in_time).toISOString() : null, check_out_time: r.check_out_time ? new Date(r.check_out_time).toISOString() : null });
  }

  close() {
    this.closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.socket?.removeAllListeners();
    this.socket?.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Faults

type FaultLog = { name: string; started: string; ended: string; ms: number; detail: string };
const faults: FaultLog[] = [];

async function fault(name: string, run: () => Promise<string>) {
  const started = new Date();
  log(`FAULT ${faults.length + 1} start: ${name}`);
  const detail = await run();
  const ended = new Date();
  faults.push({ name, started: started.toISOString(), ended: ended.toISOString(), ms: ended.getTime() - started.getTime(), detail });
  log(`FAULT ${faults.length} end: ${name} (${ended.getTime() - started.getTime()} ms): ${detail}`);
}

async function killAndRestartA() {
  const a = hubs[0]!;
  a.expectedExit = true;
  const killedAt = Date.now();
  a.child.kill('SIGKILL');
  await withTimeout(a.exited, 10_000, 'hub A exit');
  hubs[0] = null; // kiosks reconnecting now go to B (or retry until A is back)
  log(`hub A (pid ${a.child.pid}) killed with SIGKILL`);
  await sleep(1_000);
  const restarted = await startWithRetry('hub-A', 'src/main.ts');
  everyProc.push(restarted);
  hubs[0] = restarted;
  return `pid ${a.child.pid} SIGKILLed; restarted as pid ${restarted.child.pid} on ${restarted.url} after ${Date.now() - killedAt} ms`;
}

async function restartRedis() {
  const before = Date.now();
  await redisStop();
  await waitFor('Redis down', async () => !(await redisUp()), 10_000, 100);
  const downAt = Date.now();
  await sleep(1_500);
  await redisStart();
  await waitFor('Redis up', redisUp, 30_000, 100);
  return `shutdown nosave → down after ${downAt - before} ms; up again ${Date.now() - downAt} ms later (empty)`;
}

async function restartPostgres() {
  const before = Date.now();
  await pgCtl('restart');
  await waitFor('PostgreSQL up', pgReady, 60_000, 200);
  return `pg_ctlcluster ${PG_VERSION} main restart (fast): accepting connections again after ${Date.now() - before} ms`;
}

async function dropHalf(kiosks: Kiosk[]) {
  const connected = kiosks.filter((k) => k.connected);
  const shuffled = connected.sort(() => Math.random() - 0.5);
  const chosen = shuffled.slice(0, Math.ceil(kiosks.length / 2));
  let dropped = 0;
  for (const k of chosen) if (k.dropConnection()) dropped++;
  return `io.engine.close() on ${dropped} of ${kiosks.length} kiosks (${connected.length} were connected)`;
}

// ---------------------------------------------------------------------------------------------------------------
// Cleanup, on every path

let cleaning: Promise<void> | null = null;
const kiosks: Kiosk[] = [];
/** Kiosks that take no random punches (the poison door). */
const extraKiosks: Kiosk[] = [];
const extraSockets: HubSocket[] = [];
const watchers: BoardWatcher[] = [];
let ticker: NodeJS.Timeout | null = null;
let dbCreated = false;

function cleanup(): Promise<void> {
  return (cleaning ??= (async () => {
    finishing = true;
    if (ticker) clearInterval(ticker);
    log('cleaning up');
    for (const k of [...kiosks, ...extraKiosks]) k.close();
    for (const s of extraSockets) s.close();
    for (const w of watchers) w.close();
    await Promise.allSettled([...hubs.map((h) => stopProc(h)), stopProc(worker)]);
    for (const child of children) child.kill('SIGKILL');
    await ensureServicesUp();
    if (dbCreated) {
      await query(PG_ADMIN_URL, `drop database if exists "${DB_NAME}" with (force)`).then(
        () => log(`dropped database ${DB_NAME}`),
        (error) => log(`could not drop database ${DB_NAME}: ${(error as Error).message}`),
      );
    }
    const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 5_000 });
    redis.on('error', () => undefined);
    try {
      await redis.connect();
      let cursor = '0';
      let deleted = 0;
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${REDIS_PREFIX}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length) deleted += await redis.del(...keys);
      } while (cursor !== '0');
      log(`deleted ${deleted} Redis keys under ${REDIS_PREFIX}`);
    } catch (error) {
      log(`could not delete the Redis keys: ${(error as Error).message}`);
    } finally {
      redis.disconnect();
    }
    await ensureServicesUp();
    log(`PostgreSQL ${(await pgReady()) ? 'up' : 'DOWN'}, Redis ${(await redisUp()) ? 'up' : 'DOWN'}; child logs in ${LOG_DIR}`);
  })());
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`received ${signal}`);
    void withTimeout(cleanup(), 120_000, 'cleanup')
      .catch((error) => log((error as Error).message))
      .finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The run

type Employee = { employee_id: number; badge_id: string; team_id: number | null };

async function main(): Promise<number> {
  mkdirSync(LOG_DIR, { recursive: true });
  log(`run ${RUN_ID}: ${fmt(PUNCHES)} punches from ${KIOSKS} kiosks over ~${SECONDS} s; child logs in ${LOG_DIR}`);
  await ensureServicesUp();

  // Scratch database, seeded exactly as `npm run db:seed -- --employees 200 --days 1 --reset` does.
  await query(PG_ADMIN_URL, `drop database if exists "${DB_NAME}" with (force)`);
  await query(PG_ADMIN_URL, `create database "${DB_NAME}"`);
  dbCreated = true;
  log(`seeding ${DB_NAME}`);
  const seedEnv: NodeJS.ProcessEnv = { ...HUB_ENV(), LOG_LEVEL: 'warn' };
  delete seedEnv.REDIS_URL;
  const seeded = await sh(process.execPath, ['src/cli/seed.ts', '--employees', '200', '--days', '1', '--reset'], 180_000, seedEnv);
  log(seeded.split('\n').find((l) => l.startsWith('Seeded')) ?? 'seeded');
  await query(DB_URL, `alter table punches add constraint faults_poison check (device is null or device <> '${POISON_KIOSK}')`);

  log('starting hub A, hub B and the worker');
  const [a, b, w] = await Promise.all([startWithRetry('hub-A', 'src/main.ts'), startWithRetry('hub-B', 'src/main.ts'), startWithRetry('worker', 'src/worker.ts')]);
  hubs[0] = a;
  hubs[1] = b;
  worker = w;
  everyProc.push(a, b, w);
  log(`hub A ${a.url}, hub B ${b.url}, worker pid ${w.child.pid}`);

  const adminToken = await login(b.url!, ADMIN_EMAIL, ADMIN_PASSWORD, API_TIMEOUT_MS);
  const employees = (await query<Employee>(DB_URL, 'select employee_id, badge_id, team_id from employees where active and badge_id is not null order by employee_id'))
    .map((e) => ({ employee_id: Number(e.employee_id), badge_id: e.badge_id, team_id: e.team_id == null ? null : Number(e.team_id) }));
  const teams = (await query<{ team_id: number }>(DB_URL, 'select team_id from teams order by team_id')).map((t) => Number(t.team_id));
  log(`${employees.length} badged employees in ${teams.length} teams; registering ${KIOSKS} kiosks`);
  for (let i = 0; i < KIOSKS; i++) {
    const { body: created } = await api<{ token: string }>(i % 2 ? b.url! : a.url!, 'POST', '/kiosks/', { token: adminToken, json: { name: `faults kiosk ${i + 1}` }, timeoutMs: API_TIMEOUT_MS });
    kiosks.push(new Kiosk(i, created.token));
  }
  const { body: poisonKiosk } = await api<{ token: string }>(a.url!, 'POST', '/kiosks/', { token: adminToken, json: { name: POISON_KIOSK }, timeoutMs: API_TIMEOUT_MS });
  const poisonDoor = new Kiosk(KIOSKS, poisonKiosk.token);
  poisonDoor.connect(0);
  extraKiosks.push(poisonDoor);
  // The employees deleted during the run: punched like everyone until they are gone.
  const doomed = new Set(employees.filter((e) => e.team_id !== null).sort(() => Math.random() - 0.5).slice(0, DOOMED).map((e) => e.employee_id));
  for (const k of kiosks) k.connect(k.index % 2);
  await waitFor('kiosks connected', () => kiosks.every((k) => k.connected), 30_000).catch(() => undefined);
  log(`${kiosks.filter((k) => k.connected).length}/${KIOSKS} kiosks connected (even to A, odd to B)`);
  for (const i of [0, 1]) {
    const w = new BoardWatcher(i, adminToken, teams);
    watchers.push(w);
    w.connect();
  }
  await waitFor('live boards joined', () => watchers.every((w) => w.boards.size === teams.length && [...w.boards.values()].every((b) => !b.joining)), 30_000)
    .catch(() => log('live boards: not every board joined within 30 s'));

  // Generation: PUNCHES at PUNCHES/SECONDS a second, each for a random badge from a random kiosk; occurred_at =
  // generation time, strictly increasing per employee so every punch is distinguishable. The punches come in one
  // segment more than there are faults, and a segment is generated only once the fault before it has started: every
  // fault hits a stream of punches in progress, however long the previous one took (a hub restart is slow on a busy
  // machine).
  const FAULT_PLAN: Record<string, [string, () => Promise<string>]> = {
    kill: ['SIGKILL hub A and restart it', killAndRestartA],
    redis: ['restart Redis', restartRedis],
    postgres: ['restart PostgreSQL', restartPostgres],
    drop: ['drop the connections of a random half of the kiosks', () => dropHalf(kiosks)],
  };
  const plan = FAULTS.map((f) => FAULT_PLAN[f]);
  const segments = plan.length + 1;
  const quota = (segment: number) => Math.floor((PUNCHES * Math.min(segments, segment)) / segments);
  let faultsStarted = 0;
  const lastAt = new Map<number, number>();
  let generated = 0;
  const genStart = Date.now();
  const rate = PUNCHES / SECONDS;
  const generator = (async () => {
    let budget = 1;
    let last = Date.now();
    while (generated < PUNCHES && !finishing) {
      const now = Date.now();
      const allowed = quota(faultsStarted + 1);
      if (generated < allowed) budget = Math.min(budget + ((now - last) / 1000) * rate, Math.max(1, rate / 4));
      last = now;
      while (budget >= 1 && generated < allowed) {
        budget--;
        const e = employees[Math.floor(Math.random() * employees.length)];
        const atMs = Math.max(Date.now(), (lastAt.get(e.employee_id) ?? 0) + 1);
        lastAt.set(e.employee_id, atMs);
        const r = Math.random();
        const kind: Kind = r < POISON_SHARE / 2 ? 'nul' : r < POISON_SHARE ? 'refused' : doomed.has(e.employee_id) ? 'doomed' : 'good';
        const k = kind === 'refused' ? poisonDoor : kiosks[Math.floor(Math.random() * kiosks.length)];
        const p: Punch = {
          id: `${EVENT_PREFIX}k${k.index}-${generated}`, kind, kiosk: k.index, badge: kind === 'nul' ? `${e.badge_id}\u0000` : e.badge_id, employeeId: e.employee_id, at: new Date(atMs).toISOString(),
          generatedAt: Date.now(), attempts: 0, inFlight: 0, nextTryAt: 0, acked: false, ackedAt: 0, ackedNew: 0, ackedDuplicate: 0, rejected: null, errors: 0,
        };
        punches.set(p.id, p);
        generated++;
        k.add(p);
      }
      await sleep(20);
    }
    log(`generated ${fmt(generated)} punches in ${((Date.now() - genStart) / 1000).toFixed(1)} s`);
  })();

  // Deletions: one doomed employee at a time, spread over the generation, on either instance.
  const deleted: number[] = [];
  const deleter = (async () => {
    const gap = (SECONDS * 1000) / (doomed.size + 1);
    for (const id of doomed) {
      await sleep(gap);
      for (let attempt = 0; !finishing; attempt++) {
        const base = hubs[deleted.length % 2]?.url ?? hubs[(deleted.length + 1) % 2]?.url;
        try {
          if (!base) throw new Error('no hub running');
          await api(base, 'DELETE', `/employees/${id}`, { token: adminToken, timeoutMs: API_TIMEOUT_MS });
          deleted.push(id);
          log(`deleted employee ${id} (${deleted.length}/${doomed.size}) while their punches arrive`);
          break;
        } catch (error) {
          if (attempt >= 20) {
            log(`could not delete employee ${id}: ${(error as Error).message}`);
            break;
          }
          await sleep(500);
        }
      }
    }
  })();

  const status = () => {
    const all = [...punches.values()];
    const acked = all.filter((p) => p.acked).length;
    const rejected = all.filter((p) => p.rejected).length;
    const connected = kiosks.filter((k) => k.connected).length;
    const onA = kiosks.filter((k) => k.connectedTo === 0 && k.connected).length;
    return `generated ${fmt(generated)}, acked ${fmt(acked)}, rejected ${rejected}, waiting ${fmt(generated - acked - rejected)}; kiosks connected ${connected} (A ${onA}, B ${connected - onA})`;
  };
  ticker = setInterval(() => log(status()), 2_000);

  try {
    // The faults, in sequence: each once its segment of punches is out, while the next one is being generated.
    for (const [i, [name, run]] of plan.entries()) {
      while (generated < quota(i + 1) && !finishing) await sleep(20);
      log(`at ${fmt(generated)} generated: ${status()}`);
      faultsStarted++;
      await fault(name, run);
    }
    await generator;
    await deleter;

    // Drain: every punch acked (or refused for good), or the deadline.
    const deadline = Date.now() + DRAIN_DEADLINE_MS;
    while (Date.now() < deadline && !finishing && [...punches.values()].some((p) => !p.acked && !p.rejected)) await sleep(200);
  } finally {
    clearInterval(ticker);
    ticker = null;
  }
  log(`drained: ${status()}`);
  for (const k of [...kiosks, ...extraKiosks]) k.close();
  const drainedAt = new Date().toISOString();

  // -------------------------------------------------------------------------------------------------------------
  // Checks

  const today = (await query<{ d: string }>(DB_URL, `select (now() at time zone '${TZ}')::date::text as d`))[0].d;
  const all = [...punches.values()];
  const stored = await query<{ client_event_id: string; employee_id: number; occurred_at: Date; record_id: number | null }>(
    DB_URL,
    `select client_event_id, employee_id, occurred_at, record_id from punches where client_event_id like $1`,
    [`${EVENT_PREFIX}%`],
  );
  const storedIds = new Map<string, number>();
  for (const s of stored) storedIds.set(s.client_event_id, (storedIds.get(s.client_event_id) ?? 0) + 1);
  const acked = all.filter((p) => p.acked);
  // Every ordinary punch must be stored; poison ones never; those of deleted employees went with them.
  const good = all.filter((p) => p.kind === 'good');
  const ackedNotStored = acked.filter((p) => p.kind === 'good' && !storedIds.has(p.id));
  const generatedNotStored = good.filter((p) => !storedIds.has(p.id));
  const poison = all.filter((p) => p.kind === 'nul' || p.kind === 'refused');
  const poisonWrong = poison.filter((p) => p.acked || storedIds.has(p.id) || p.rejected?.split(':')[0] !== POISON_CODES[p.kind as 'nul' | 'refused']);
  const doomedPunches = all.filter((p) => p.kind === 'doomed');
  const doomedWrong = doomedPunches.filter((p) => !p.acked && !['unknown_badge', 'not_found'].includes(p.rejected?.split(':')[0] ?? ''));
  const unknownStored = stored.filter((s) => !punches.has(s.client_event_id));
  const dupIds = [...storedIds.values()].filter((n) => n > 1).length;
  const storedTwice = (await query<{ n: string }>(
    DB_URL,
    `select count(*) as n from (select employee_id, occurred_at from punches where client_event_id like $1 group by 1, 2 having count(*) > 1) d`,
    [`${EVENT_PREFIX}%`],
  ))[0].n;
  const appliedTwice = all.filter((p) => p.ackedNew > 1).length;
  const wrongPlace = stored.filter((s) => {
    const p = punches.get(s.client_event_id);
    return p && (Number(s.employee_id) !== p.employeeId || new Date(s.occurred_at).toISOString() !== p.at);
  }).length;
  const duplicates = dupIds + Number(storedTwice) + appliedTwice;
  const lost = ackedNotStored.length + generatedNotStored.length;

  // Every attendance record with punches on the days this run punched (and the day before each, for shifts across
  // midnight) against all of its punches (the run's and the seed's), the rule of
  // decide() in punch.batch.ts: the first punch (by occurred_at, whatever the arrival order) is the check-in and sets
  // Present/Late, the latest is the check-out once there are two; a record changed by hand (audit log) is skipped.
  // A punch belongs to the record of its local day, or (a shift across midnight) to the open one of the day before.
  type Check = {
    record_id: number; employee_id: number; day: string; status: string | null; check_in_time: Date | null; check_out_time: Date | null;
    workday_start: string | null; grace_minutes: number | null; hand_changes: string; n: string; min_at: Date | null; max_at: Date | null;
  };
  const checks = await query<Check>(
    DB_URL,
    `with days as (
       select distinct (occurred_at at time zone '${TZ}')::date as day from punches where client_event_id like $1
     ),
     touched as (
       select distinct p.record_id from punches p join attendance a on a.record_id = p.record_id
        where a.attendance_date in (select day from days union select day - 1 from days)
     )
     select a.record_id, a.employee_id, a.attendance_date::text as day, a.status, a.check_in_time, a.check_out_time, tm.workday_start, tm.grace_minutes,
            (select count(*) from audit_log l where l.entity_type = 'attendance' and l.entity_id = a.record_id) as hand_changes,
            p.n, p.min_at, p.max_at
       from touched t
       join attendance a on a.record_id = t.record_id
       left join employees e on e.employee_id = a.employee_id
       left join teams tm on tm.team_id = e.team_id
       cross join lateral (
         select count(*) as n, min(occurred_at) as min_at, max(occurred_at) as max_at from punches p where p.record_id = a.record_id
       ) p`,
    [`${EVENT_PREFIX}%`],
  );
  const misplaced = await query<{ client_event_id: string; employee_id: number; occurred_at: Date; record_id: number | null; record_employee: number | null; record_day: string | null }>(
    DB_URL,
    `select p.client_event_id, p.employee_id, p.occurred_at, p.record_id, a.employee_id as record_employee, a.attendance_date::text as record_day
       from punches p left join attendance a on a.record_id = p.record_id
      where p.client_event_id like $1
        and (a.record_id is null or a.employee_id <> p.employee_id
             or a.attendance_date not in ((p.occurred_at at time zone '${TZ}')::date, (p.occurred_at at time zone '${TZ}')::date - 1))`,
    [`${EVENT_PREFIX}%`],
  );
  const same = (x: Date | null, y: Date | null) => (x == null || y == null ? x == y : new Date(x).getTime() === new Date(y).getTime());
  const iso = (d: Date | string | null) => (d == null ? null : new Date(d).toISOString());
  const problems: string[] = misplaced.map((m) =>
    `punch ${m.client_event_id} (employee ${m.employee_id}, ${iso(m.occurred_at)}) is on record ${m.record_id} (employee ${m.record_employee}, ${m.record_day})`);
  let handChanged = 0;
  for (const c of checks) {
    const where = `record ${c.record_id} (employee ${c.employee_id}, ${c.day})`;
    if (Number(c.hand_changes) > 0) {
      handChanged++;
      continue;
    }
    const n = Number(c.n);
    const wantOut = n > 1 ? c.max_at : null;
    if (!same(c.check_in_time, c.min_at)) problems.push(`${where}: check_in_time ${iso(c.check_in_time)} ≠ first punch ${iso(c.min_at)}`);
    if (!same(c.check_out_time, wantOut)) problems.push(`${where}: check_out_time ${iso(c.check_out_time)} ≠ ${n > 1 ? `last punch ${iso(wantOut)}` : 'none (one punch)'}`);
    if ((c.status === 'Present' || c.status === 'Late') && c.min_at) {
      const schedule = c.workday_start ? { workday_start: c.workday_start, grace_minutes: Number(c.grace_minutes ?? 0) } : DEFAULT_SCHEDULE;
      const want = arrivalStatus(new Date(c.min_at), schedule, TZ);
      if (want !== c.status) problems.push(`${where}: status ${c.status} ≠ ${want} for a first punch at ${iso(c.min_at)}`);
    }
  }

  // Live boards (informational): what the boards that stayed open through the faults show, once the changes settle.
  const dbBoard = async () => {
    const rows = await query<{ employee_id: number; team_id: number; status: string | null; check_in_time: Date | null; check_out_time: Date | null }>(
      DB_URL,
      `select e.employee_id, e.team_id, a.status, a.check_in_time, a.check_out_time from employees e
         left join attendance a on a.employee_id = e.employee_id and a.attendance_date = $1
        where e.active and e.team_id is not null`,
      [today],
    );
    return rows;
  };
  const staleLive = async () => {
    const rows = await dbBoard();
    const stale: string[] = [];
    for (const [i, w] of watchers.entries()) {
      for (const r of rows) {
        const m = w.boards.get(Number(r.team_id))?.members.get(Number(r.employee_id));
        if (!m || m.status !== r.status || m.check_in_time !== iso(r.check_in_time) || m.check_out_time !== iso(r.check_out_time)) {
          stale.push(`live board on ${i === 0 ? 'A' : 'B'}, employee ${r.employee_id}: board ${m ? `${m.status} ${m.check_in_time}–${m.check_out_time}` : 'missing'}, ` +
            `database ${r.status} ${iso(r.check_in_time)}–${iso(r.check_out_time)}; last changes seen: ${(w.history.get(Number(r.employee_id)) ?? []).join('; ')}`);
        }
      }
    }
    return stale;
  };
  let liveStale: string[] = [];
  await waitFor('live boards converged', async () => (liveStale = await staleLive()).length === 0, 10_000, 500).catch(() => undefined);
  for (const w of watchers) w.close();
  log(`live boards: ${liveStale.length} stale members; ${watchers.map((w, i) => `${i === 0 ? 'A' : 'B'} applied ${w.applied} changes, joined ${w.rejoins} times`).join(', ')}`);

  // Boards: a fresh board:join snapshot of every team, on both instances, against the database.
  const boardProblems: string[] = [];
  for (const [i, hub] of hubs.entries()) {
    const label = i === 0 ? 'A' : 'B';
    if (!hub?.url) {
      boardProblems.push(`hub ${label} is not running`);
      continue;
    }
    const socket: HubSocket = io(hub.url, { transports: ['websocket'], auth: { token: adminToken }, reconnection: false, forceNew: true });
    extraSockets.push(socket);
    try {
      await withTimeout(new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('connect_error', (error) => reject(error));
      }), 10_000, `admin socket to hub ${label}`);
      for (const team_id of teams) {
        const ack = await socket.timeout(10_000).emitWithAck('board:join', { team_id });
        if (!ack.ok) {
          boardProblems.push(`hub ${label} team ${team_id}: board:join ${ack.error.code}`);
          continue;
        }
        const snap = ack as { ok: true } & BoardSnapshot;
        const rows = await query<{ employee_id: number; status: string | null; check_in_time: Date | null; check_out_time: Date | null }>(
          DB_URL,
          `select e.employee_id, a.status, a.check_in_time, a.check_out_time from employees e
             left join attendance a on a.employee_id = e.employee_id and a.attendance_date = $1
            where e.team_id = $2 and e.active order by e.employee_id`,
          [today, team_id],
        );
        if (snap.date !== today) boardProblems.push(`hub ${label} team ${team_id}: board date ${snap.date} ≠ ${today}`);
        const members = new Map(snap.members.map((m) => [m.employee_id, m]));
        if (members.size !== rows.length) boardProblems.push(`hub ${label} team ${team_id}: ${members.size} members on the board, ${rows.length} in the database`);
        for (const r of rows) {
          const m = members.get(Number(r.employee_id));
          if (!m) {
            boardProblems.push(`hub ${label} team ${team_id}: employee ${r.employee_id} missing from the board`);
            continue;
          }
          if (m.status !== r.status || m.check_in_time !== iso(r.check_in_time) || m.check_out_time !== iso(r.check_out_time)) {
            boardProblems.push(
              `hub ${label} team ${team_id} employee ${r.employee_id}: board ${m.status} ${m.check_in_time}–${m.check_out_time}, ` +
                `database ${r.status} ${iso(r.check_in_time)}–${iso(r.check_out_time)}`,
            );
          }
        }
        const total = Object.values(snap.counts).reduce((s, n) => s + n, 0);
        if (total !== rows.length) boardProblems.push(`hub ${label} team ${team_id}: counts add up to ${total}, not ${rows.length}`);
      }
    } catch (error) {
      boardProblems.push(`hub ${label}: ${(error as Error).message}`);
    } finally {
      socket.close();
    }
  }

  // Summaries: close yesterday through the worker (POST /attendance/end-of-day), then cause a recompute of every team
  // with a REST change (a note on an earlier record of the team: attendance.changed → summaries:recompute), and wait
  // until GET /summarize_attendance/ agrees with a direct count of today, or a deadline passes.
  const summaryProblems: string[] = [];
  const base = hubs[1]?.url ?? hubs[0]?.url;
  let summariesChecked = 0;
  if (!base) summaryProblems.push('no hub running');
  else {
    const yesterday = (await query<{ d: string }>(DB_URL, `select ($1::date - 1)::text as d`, [today]))[0].d;
    try {
      const { body: closed } = await api<{ days?: unknown }>(base, 'POST', '/attendance/end-of-day', { token: adminToken, json: { date: yesterday }, timeoutMs: API_TIMEOUT_MS });
      log(`end of day ${yesterday} through the worker: ${JSON.stringify(closed).slice(0, 200)}`);
    } catch (error) {
      summaryProblems.push(`POST /attendance/end-of-day ${yesterday}: ${(error as Error).message}`);
    }
    const touched: string[] = [];
    for (const team_id of teams) {
      const [record] = await query<{ record_id: number }>(
        DB_URL,
        'select record_id from attendance where team_id = $1 and attendance_date < $2 order by attendance_date desc, record_id limit 1',
        [team_id, today],
      );
      if (!record) {
        summaryProblems.push(`team ${team_id}: no earlier record to touch`);
        continue;
      }
      await api(base, 'PUT', `/attendance/${record.record_id}`, { token: adminToken, json: { notes: `fault run ${RUN_ID}: recompute` }, timeoutMs: API_TIMEOUT_MS });
      touched.push(`team ${team_id} → record ${record.record_id}`);
    }
    log(`summaries: recompute caused by a note on ${touched.join(', ')}`);
    type Counts = { expected: string; present: string; late: string; checked_out: string };
    const sqlToday = async (teamId: number | null) =>
      (await query<Counts>(
        DB_URL,
        `select count(*) filter (where a.status is distinct from 'On Leave') as expected,
                count(*) filter (where a.status in ('Present', 'Late', 'Half Day', 'Remote')) as present,
                count(*) filter (where a.status = 'Late') as late,
                count(*) filter (where a.check_out_time is not null and a.status in ('Present', 'Late', 'Half Day')) as checked_out
           from employees e join teams t on t.team_id = e.team_id
           left join attendance a on a.employee_id = e.employee_id and a.attendance_date = $1::date
          where e.active and t.working_weekdays @> to_jsonb(extract(isodow from $1::date)::int)
            and (e.created_at at time zone '${TZ}')::date <= $1::date
            and ($2::int is null or e.team_id = $2::int)`,
        [today, teamId],
      ))[0];
    for (const teamId of [...teams, null]) {
      const what = teamId === null ? 'organisation' : `team ${teamId}`;
      let last = '';
      const matched = await waitFor(`summary of ${what}`, async () => {
        const want = await sqlToday(teamId);
        const { body: got } = await api<{ today: { date: string; expected: number; present: number; late: number; checked_out: number } }>(
          base, 'GET', `/summarize_attendance/${teamId === null ? '' : `?team_id=${teamId}`}`, { token: adminToken, timeoutMs: API_TIMEOUT_MS },
        );
        last = `summary ${got.today.date} expected ${got.today.expected} present ${got.today.present} late ${got.today.late} checked out ${got.today.checked_out}; ` +
          `SQL ${today} expected ${want.expected} present ${want.present} late ${want.late} checked out ${want.checked_out}`;
        return got.today.date === today && got.today.present === Number(want.present) && got.today.expected === Number(want.expected) &&
          got.today.late === Number(want.late) && got.today.checked_out === Number(want.checked_out);
      }, 30_000, 500).then(() => true, () => false);
      summariesChecked++;
      if (!matched) summaryProblems.push(`${what}: ${last}`);
      else log(`summary of ${what} correct: ${last}`);
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // Report

  const hubErrors = everyProc.reduce((s, p) => s + p.errorLines.length, 0);
  const inconsistencies = problems.length + boardProblems.length + summaryProblems.length + ackMismatches + wrongPlace + poisonWrong.length + doomedWrong.length;
  const rows: [string, string, string][] = [
    ['faults injected', String(faults.length), faults.map((f) => f.name).join('; ')],
    ['punches sent (generated)', fmt(all.length), `${fmt(all.reduce((s, p) => s + p.attempts, 0))} emits in all (resends included)`],
    ['acked', fmt(acked.length), `${fmt(all.filter((p) => p.ackedDuplicate > 0).length)} acked with duplicate: true at least once`],
    ['refused for good', fmt(all.filter((p) => p.rejected).length), [...new Set(all.flatMap((p) => (p.rejected ? [p.rejected] : [])))].slice(0, 3).join('; ')],
    ['stored', fmt(stored.length), `punches rows with this run's client_event_ids${unknownStored.length ? `; ${unknownStored.length} never generated!` : ''}`],
    ['duplicates', fmt(duplicates), `${dupIds} client_event_ids stored more than once, ${storedTwice} punches stored twice, ${appliedTwice} acked as new twice`],
    ['lost', fmt(lost), `of ${fmt(good.length)} ordinary punches: ${ackedNotStored.length} acked but not stored, ${generatedNotStored.length} generated but never stored`],
    ['poison punches answered wrongly', fmt(poisonWrong.length), `${fmt(poison.length)} poison punches (${poison.filter((p) => p.kind === 'nul').length} with a NUL byte → validation_error, ${poison.filter((p) => p.kind === 'refused').length} refused by the database → punch_refused); none may be acked or stored`],
    ['deleted employees’ punches answered wrongly', fmt(doomedWrong.length), `${deleted.length} employees deleted during the run; ${fmt(doomedPunches.length)} punches for them, each acked (before) or unknown_badge (after)`],
    ['inconsistent records', fmt(problems.length), `${fmt(checks.length)} records with punches on the run's days (and the day before) checked against all their punches, ${handChanged} changed by hand skipped`],
    ['board mismatches', fmt(boardProblems.length), `fresh board:join of ${teams.length} teams on both instances vs the database`],
    ['live boards stale (informational)', fmt(liveStale.length), `members of boards kept open through the faults (${watchers.map((w, i) => `${i === 0 ? 'A' : 'B'}: ${w.applied} changes applied, ${w.rejoins} joins`).join('; ')}) that differ from the database 10 s after the drain`],
    ['summary mismatches', fmt(summaryProblems.length), `${summariesChecked} summaries (each team, the organisation) vs SQL for ${today}`],
    ['ack mismatches', fmt(ackMismatches + wrongPlace), 'ack for another employee, or a stored punch with another employee/time'],
    ['unexpected process exits', fmt(unexpectedExits.length), unexpectedExits.join('; ')],
    ['error log lines (hubs, worker)', fmt(hubErrors), `logs in ${LOG_DIR}`],
  ];
  const out: string[] = [];
  out.push(`# Fault injection, run ${RUN_ID}`, '');
  out.push(`${fmt(PUNCHES)} punches for ${employees.length} employees from ${KIOSKS} kiosks over ~${SECONDS} s; 2 API instances + 1 worker; drained at ${drainedAt}.`, '');
  out.push('| fault | started | ended | ms | detail |', '|---|---|---|---:|---|');
  for (const f of faults) out.push(`| ${f.name} | ${f.started} | ${f.ended} | ${fmt(f.ms)} | ${f.detail} |`);
  out.push('', '| count | value | notes |', '|---|---:|---|');
  for (const [name, value, note] of rows) out.push(`| ${name} | ${value} | ${note.replaceAll('|', '\\|')} |`);
  out.push('', `Kiosk errors seen before an ack (all retried unless refused for good): ${Object.entries(errorCodes).map(([c, n]) => `${c} ${fmt(n)}`).join(', ') || 'none'}.`);
  const ackTimes = acked.map((p) => p.ackedAt - p.generatedAt).sort((x, y) => x - y);
  if (ackTimes.length) {
    const q = (f: number) => ackTimes[Math.min(ackTimes.length - 1, Math.floor(f * ackTimes.length))];
    out.push(`Generation to ack: p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${ackTimes[ackTimes.length - 1]} ms.`);
  }
  const details = [...ackedNotStored.slice(0, 5).map((p) => `acked but not stored: ${p.id}`), ...generatedNotStored.slice(0, 5).map((p) => `never stored: ${p.id} (${p.attempts} attempts)`),
    ...poisonWrong.slice(0, 5).map((p) => `poison punch ${p.id} (${p.kind}): ${p.acked ? 'acked' : p.rejected ?? 'never answered'}${storedIds.has(p.id) ? ', stored' : ''}`),
    ...doomedWrong.slice(0, 5).map((p) => `punch ${p.id} for deleted employee ${p.employeeId}: ${p.rejected ?? 'never answered'}`),
    ...problems.slice(0, 10), ...boardProblems.slice(0, 10), ...summaryProblems.slice(0, 10), ...liveStale.slice(0, 5)];
  if (details.length) out.push('', 'Details:', ...details.map((d) => `- ${d}`));
  const failed = lost > 0 || duplicates > 0 || inconsistencies > 0;
  out.push('', failed ? 'RESULT: FAIL' : 'RESULT: PASS (nothing lost, nothing doubled, everything consistent)');
  process.stdout.write(`${out.join('\n')}\n`);
  return failed ? 1 : 0;
}

let code = 1;
try {
  code = await main();
} catch (error) {
  log(`run failed: ${(error as Error).stack ?? error}`);
  code = 1;
} finally {
  await withTimeout(cleanup(), 120_000, 'cleanup').catch((error) => log((error as Error).message));
}
setTimeout(() => process.exit(code), 200).unref();
process.exitCode = code;
