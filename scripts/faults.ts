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
// attendance record of the days punched consistent with its punches (the rule of punch.rules.ts `decide()`), fresh
// board snapshots equal to the database on both instances, and summaries equal to a direct SQL count after the next
// recompute. It also reports (for information, not in the exit code) what two boards that stayed open through the
// faults show at the end. Progress goes to stderr, the result table to stdout; the exit code is 1 when anything was
// lost, doubled or inconsistent (records, fresh boards, summaries), 2 on bad arguments. Child logs stay in /tmp.
//
// PostgreSQL and Redis are shared with whatever else runs on this machine: they are restarted here, and always brought
// back up at the end (normal end, error, SIGINT/SIGTERM).
import { mkdirSync } from 'node:fs';
import { api, login, RUN_ID, sleep, waitFor, withTimeout } from '../harness/index.ts';
import { cleanup } from './faults/cleanup.ts';
import { dropHalf, fault, killAndRestartA, restartPostgres, restartRedis } from './faults/injections.ts';
import { Kiosk, type Punch, punches } from './faults/kiosks.ts';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  API_TIMEOUT_MS,
  DB_NAME,
  DB_URL,
  DOOMED,
  DRAIN_DEADLINE_MS,
  EVENT_PREFIX,
  FAULTS,
  type Kind,
  KIOSKS,
  LOG_DIR,
  PG_ADMIN_URL,
  POISON_KIOSK,
  POISON_SHARE,
  PUNCHES,
  SECONDS,
} from './faults/options.ts';
import { HUB_ENV, startWithRetry } from './faults/processes.ts';
import { ensureServicesUp } from './faults/services.ts';
import { everyProc, extraKiosks, hubs, kiosks, state, watchers } from './faults/state.ts';
import { fmt, log, query, sh } from './faults/util.ts';
import { verify } from './faults/verify.ts';
import { BoardWatcher } from './faults/watchers.ts';

type Employee = { employee_id: number; badge_id: string; team_id: number | null };

async function main(): Promise<number> {
  mkdirSync(LOG_DIR, { recursive: true });
  log(`run ${RUN_ID}: ${fmt(PUNCHES)} punches from ${KIOSKS} kiosks over ~${SECONDS} s; child logs in ${LOG_DIR}`);
  await ensureServicesUp();

  // Scratch database, seeded exactly as `npm run db:seed -- --employees 200 --days 1 --reset` does.
  await query(PG_ADMIN_URL, `drop database if exists "${DB_NAME}" with (force)`);
  await query(PG_ADMIN_URL, `create database "${DB_NAME}"`);
  state.dbCreated = true;
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
  state.worker = w;
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
    while (generated < PUNCHES && !state.finishing) {
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
        // Someone deleted during the run is never the poison: their punches are answered unknown_badge once they are gone.
        const kind: Kind = doomed.has(e.employee_id) ? 'doomed' : r < POISON_SHARE / 2 ? 'nul' : r < POISON_SHARE ? 'refused' : 'good';
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
      for (let attempt = 0; !state.finishing; attempt++) {
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
  state.ticker = setInterval(() => log(status()), 2_000);

  try {
    // The faults, in sequence: each once its segment of punches is out, while the next one is being generated.
    for (const [i, [name, run]] of plan.entries()) {
      while (generated < quota(i + 1) && !state.finishing) await sleep(20);
      log(`at ${fmt(generated)} generated: ${status()}`);
      faultsStarted++;
      await fault(name, run);
    }
    await generator;
    await deleter;

    // Drain: every punch acked (or refused for good), or the deadline.
    const deadline = Date.now() + DRAIN_DEADLINE_MS;
    while (Date.now() < deadline && !state.finishing && [...punches.values()].some((p) => !p.acked && !p.rejected)) await sleep(200);
  } finally {
    clearInterval(state.ticker);
    state.ticker = null;
  }
  log(`drained: ${status()}`);
  for (const k of [...kiosks, ...extraKiosks]) k.close();
  const drainedAt = new Date().toISOString();
  return verify({ adminToken, employees, teams, deleted, drainedAt });
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
