// npm run load -- <scenario> [--target http://127.0.0.1:8000] [--duration 60] [--scale 1] [--kiosks 200]
//
// Runs one artillery scenario of load/scenarios/ against a hub that is ALREADY running (it never starts one):
//   1. checks the target is a loopback address and answers /readyz;
//   2. signs in as the admin, lists teams and badges, signs in the managers, and (for scenarios that read
//      kiosks.csv) registers kiosks; writes those as CSV payload files in a private temporary folder;
//   3. runs artillery (Node 24 from the root node_modules/.bin, telemetry off) with its phases stretched to
//      --duration and multiplied by --scale, and a hard time limit;
//   4. writes load/reports/<scenario>-<timestamp>.json (artillery's report) and .md (report.ts);
//   5. revokes the kiosks it registered and deletes the temporary folder.
// The admin's password comes from LOAD_ADMIN_PASSWORD or ADMIN_PASSWORD (or ./data/admin-password).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeMarkdown } from './report.ts';
import { checkReady, hubMetrics, listBadges, listTeams, registerKiosks, revokeKiosks, signIn, signInManagers, type Kiosk, type SignedIn } from './setup.ts';

const LOAD = dirname(fileURLToPath(import.meta.url));
const ROOT = join(LOAD, '..');
const SCENARIOS = ['rest-mix', 'shift-change', 'boards', 'assistant'];
const MAX_DURATION = 900; // tokens live 30 minutes by default; sockets close when theirs expires
const MAX_VUSERS = 50_000;

const usage = `npm run load -- <scenario> [options]     scenarios: ${SCENARIOS.join(', ')}

  --target URL             the running hub (default http://127.0.0.1:8000); loopback addresses only
  --duration SECONDS       stretch the scenario's phases to this length (default: the scenario's own, about 60)
  --scale FACTOR           multiply arrival rates and counts (default 1)
  --kiosks N               kiosks to register for shift-change (default 200; virtual users share them)
  --admin-email EMAIL      default ADMIN_EMAIL or admin@example.com; password from LOAD_ADMIN_PASSWORD or ADMIN_PASSWORD
  --manager-password PASS  the managers' password (default demo-pass-123, the demo and db:seed password)
  --max-managers N         managers to sign in (default 20)
  --keep-kiosks            do not revoke the registered kiosks afterwards`;

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    target: { type: 'string', default: 'http://127.0.0.1:8000' },
    duration: { type: 'string' },
    scale: { type: 'string', default: '1' },
    kiosks: { type: 'string', default: '200' },
    'admin-email': { type: 'string', default: process.env.ADMIN_EMAIL ?? 'admin@example.com' },
    'manager-password': { type: 'string', default: process.env.LOAD_MANAGER_PASSWORD ?? 'demo-pass-123' },
    'max-managers': { type: 'string', default: '20' },
    'keep-kiosks': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}
const number = (name: string, value: string | undefined, min: number, max: number) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) fail(`--${name} must be a number from ${min} to ${max}`);
  return n;
};

if (args.help || positionals.length !== 1) fail(usage);
const scenario = positionals[0];
if (!SCENARIOS.includes(scenario)) fail(`unknown scenario "${scenario}"\n\n${usage}`);
const target = new URL(args.target);
const host = target.hostname.replace(/^\[|\]$/g, '');
if (!['http:', 'https:'].includes(target.protocol) || !(host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host))) {
  fail(`--target must be a loopback address (127.0.0.1, localhost, [::1]): got ${args.target}`);
}
const duration = args.duration === undefined ? undefined : number('duration', args.duration, 5, MAX_DURATION);
const scale = number('scale', args.scale, 0.01, 20);
const kioskCount = Math.round(number('kiosks', args.kiosks, 1, 5000));
const maxManagers = Math.round(number('max-managers', args['max-managers'], 0, 500));
const adminPassword = process.env.LOAD_ADMIN_PASSWORD ?? process.env.ADMIN_PASSWORD ?? readOptional(join(ROOT, 'data', 'admin-password'));
if (!adminPassword) fail('set LOAD_ADMIN_PASSWORD (or ADMIN_PASSWORD) to the hub admin\'s password');

const artillery = join(LOAD, 'node_modules', '.bin', 'artillery');
if (!existsSync(artillery)) fail('artillery is not installed: npm install --prefix load');
if (Number(process.versions.node.split('.')[0]) < 22) fail(`artillery needs Node >= 22 (this is ${process.version}): run through npm run load`);

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The scenario's phases, stretched and scaled

type Phase = { name?: string; duration?: number; pause?: number; arrivalRate?: number; rampTo?: number; arrivalCount?: number; maxVusers?: number };
type PayloadSpec = { path: string; fields: string[]; [k: string]: unknown };
type Script = { config: { phases: Phase[]; payload?: PayloadSpec[] } };

const yaml = createRequire(join(LOAD, 'package.json'))('js-yaml') as { safeLoad(text: string): unknown };
const scriptPath = join(LOAD, 'scenarios', `${scenario}.yml`);
const script = yaml.safeLoad(readFileSync(scriptPath, 'utf8')) as Script;

const length = (p: Phase) => Number(p.duration ?? p.pause ?? 0);
const ownDuration = script.config.phases.reduce((s, p) => s + length(p), 0);
const stretch = duration === undefined ? 1 : duration / ownDuration;
/** Durations stretch with --duration; rates, counts and caps multiply by --scale. */
const phases: Phase[] = script.config.phases.map((p) => {
  const q: Phase = { ...p };
  if (q.duration !== undefined) q.duration = Math.max(1, Math.round(q.duration * stretch));
  if (q.pause !== undefined) q.pause = Math.max(1, Math.round(q.pause * stretch));
  for (const k of ['arrivalRate', 'rampTo', 'arrivalCount', 'maxVusers'] as const) {
    if (q[k] !== undefined) q[k] = Math.max(1, Math.round(Number(q[k]) * scale));
  }
  return q;
});
const totalSeconds = phases.reduce((s, p) => s + length(p), 0);
const vusers = Math.round(
  phases.reduce((s, p) => s + (p.arrivalCount ?? (p.duration ?? 0) * ((p.arrivalRate ?? 0) + (p.rampTo ?? p.arrivalRate ?? 0)) / 2), 0),
);
if (vusers > MAX_VUSERS) fail(`about ${vusers} virtual users: more than ${MAX_VUSERS}; lower --scale or --duration`);

// ---------------------------------------------------------------------------------------------------------------
// Setup: tokens, badges, teams, kiosks → CSV payload files

const hub = { target: target.origin };
const runId = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
const stamp = new Date().toISOString().slice(0, 19).replace(/:/g, '-');
const reports = join(LOAD, 'reports');
const name = `${scenario}-${stamp}`;
const jsonPath = join(reports, `${name}.json`);
const mdPath = join(reports, `${name}.md`);
// Tokens live here only for the run: a private folder, deleted at the end.
const dataDir = mkdtempSync(join(os.tmpdir(), 'checkin-load-'));
const payloads = script.config.payload ?? [];
const needsKiosks = payloads.some((p) => basename(p.path) === 'kiosks.csv');

function writeCsv(file: string, header: string[], rows: unknown[][]) {
  const tmp = join(dataDir, `.${file}`);
  writeFileSync(tmp, [header.join(','), ...rows.map((r) => r.map((v) => (v === null || v === undefined ? '' : String(v))).join(','))].join('\n') + '\n', { mode: 0o600 });
  renameSync(tmp, join(dataDir, file));
}
const userRow = (u: SignedIn) => [u.email, u.password, u.token, u.access, u.team_id];
const USER_HEADER = ['email', 'password', 'token', 'access', 'team_id'];

let kiosks: Kiosk[] = [];
let adminToken = '';
let exitCode = 1;
let interrupted = false;
process.on('SIGINT', () => {
  // Artillery gets the same Ctrl-C; we stay to revoke the kiosks. A second Ctrl-C leaves at once.
  if (interrupted) {
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(130);
  }
  interrupted = true;
});

try {
  console.error(`load: ${scenario} against ${hub.target}: about ${vusers} virtual users over ${totalSeconds} s (+ the last ones finishing)`);
  try {
    await checkReady(hub);
  } catch (error) {
    throw new Error(`no hub answering at ${hub.target}/readyz (${(error as Error).message}). Start one first; run.ts never does.`);
  }

  const admin = await signIn(hub, { email: args['admin-email'], password: adminPassword });
  adminToken = admin.token;
  if (admin.access !== 'admin') throw new Error(`${admin.email} is not an admin`);
  if (totalSeconds + 120 > admin.expires_in) console.error(`load: warning: tokens expire after ${admin.expires_in} s; sockets close then`);
  const teams = await listTeams(hub, admin.token);
  const badges = await listBadges(hub, admin.token);
  const managers = await signInManagers(hub, admin.token, args['manager-password'], maxManagers);
  console.error(`load: ${teams.length} teams, ${badges.length} badges, ${managers.length} managers signed in`);
  // Without them every virtual user would fail its first step, and the run would still take its whole duration.
  if (badges.length === 0 && (scenario === 'shift-change' || scenario === 'rest-mix')) {
    throw new Error('the hub has no active employee with a badge: nothing to punch. Load data first (npm run db:seed on PostgreSQL; an embedded hub loads the demo organisation by itself)');
  }
  if (teams.length === 0 && scenario === 'boards') throw new Error('the hub has no team: no board to watch. Load data first (npm run db:seed)');
  // Without managers (another password, no demo data), the admin watches every team's board instead.
  const watchers = managers.length ? managers : teams.map((t) => ({ ...admin, team_id: t.team_id }));

  writeCsv('admins.csv', USER_HEADER, [userRow(admin)]);
  writeCsv('managers.csv', USER_HEADER, watchers.map(userRow));
  writeCsv('users.csv', USER_HEADER, [admin, ...managers].map(userRow));
  writeCsv('teams.csv', ['team_id', 'team_name'], teams.map((t) => [t.team_id, t.team_name.replace(/,/g, ' ')]));
  writeCsv('badges.csv', ['badge_id', 'employee_id', 'team_id'], badges.map((b) => [b.badge_id, b.employee_id, b.team_id]));
  if (needsKiosks) {
    const started = Date.now();
    kiosks = await registerKiosks(hub, admin.token, runId, kioskCount);
    writeCsv('kiosks.csv', ['kiosk_token'], kiosks.map((k) => [k.token]));
    console.error(`load: registered ${kiosks.length} kiosks in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Artillery

  if (interrupted) throw new Error('interrupted before artillery started');
  mkdirSync(reports, { recursive: true });
  const overrides = {
    config: {
      phases,
      // checkConfig resolved the YAML's payload paths against scenarios/ already; overrides come after it.
      payload: payloads.map((p) => ({ ...p, path: join(dataDir, basename(p.path)) })),
    },
  };
  const started = new Date();
  const loadBefore = os.loadavg()[0];
  const hubBefore = await hubMetrics(hub, admin.token);
  const child = spawn(artillery, ['run', '--target', hub.target, '--output', jsonPath, '--overrides', JSON.stringify(overrides), scriptPath], {
    cwd: LOAD,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      ...process.env,
      // artillery's `#!/usr/bin/env node` must find Node 24, not the machine's Node 20.
      PATH: `${join(ROOT, 'node_modules', '.bin')}${os.platform() === 'win32' ? ';' : ':'}${process.env.PATH ?? ''}`,
      ARTILLERY_DISABLE_TELEMETRY: 'true',
      LOAD_DATA_DIR: dataDir,
      LOAD_TARGET: hub.target,
      LOAD_RUN_ID: runId,
      LOAD_DURATION: String(totalSeconds),
    },
  });
  // A hard limit: artillery's start (slow on a busy machine), the phases, then the last virtual users, whose every
  // wait is bounded (connect 10 s, ack 10 s, answer 35 s, HTTP 15–40 s; at most a few minutes in all).
  const limitMs = (totalSeconds + 240) * 1000;
  const killer = setTimeout(() => {
    console.error(`load: artillery still running after ${limitMs / 1000} s: stopping it`);
    child.kill('SIGINT');
    setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
  }, limitMs);
  const code = await new Promise<number>((resolve) => child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
  clearTimeout(killer);
  exitCode = interrupted ? 130 : code;
  const fresh = await signIn(hub, { email: args['admin-email'], password: adminPassword }).catch(() => admin);
  const hubAfter = hubBefore ? await hubMetrics(hub, fresh.token) : null;

  if (existsSync(jsonPath)) {
    writeMarkdown(jsonPath, mdPath, {
      scenario,
      target: hub.target,
      started,
      phases,
      scale,
      kiosks: kiosks.length,
      watchers: scenario === 'boards' ? watchers.length : undefined,
      badges: badges.length,
      exitCode: code,
      machine: { cores: os.availableParallelism(), loadBefore, loadAfter: os.loadavg()[0] },
      hub:
        hubBefore && hubAfter
          ? {
              seconds: (hubAfter.at - hubBefore.at) / 1000,
              cpuSeconds: hubAfter.cpuSeconds - hubBefore.cpuSeconds,
              lagMaxMs: hubAfter.lagMaxMs,
              lagP99Ms: hubAfter.lagP99Ms,
              lagMeanMs: hubAfter.lagMeanMs,
            }
          : undefined,
    });
    console.error(`\nload: report  ${relative(process.cwd(), jsonPath)}\nload: summary ${relative(process.cwd(), mdPath)}`);
  } else {
    console.error(`load: artillery wrote no report (exit ${code})`);
  }
} catch (error) {
  console.error(`load: ${(error as Error).message}`);
} finally {
  if (kiosks.length && !args['keep-kiosks']) {
    // A fresh token: the first one may have expired during a long run.
    const token = await signIn(hub, { email: args['admin-email'], password: adminPassword }).then((a) => a.token, () => adminToken);
    const failed = await revokeKiosks(hub, token, kiosks).catch(() => kiosks.length);
    console.error(`load: revoked ${kiosks.length - failed} of ${kiosks.length} kiosks`);
  }
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(exitCode);
