// One measured run against a started hub: kiosks punching their own badges (closed loop, then each offered rate) and
// admin sockets watching the team boards, timing each ack and each broadcast against the punch's emit.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { AttendanceChanged } from '../../src/modules/attendance/index.ts';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  type BenchSocket,
  type Cpu,
  type CpuMark,
  cpuMark,
  cpuSince,
  type Employee,
  type HubProcess,
  int,
  isFinishing,
  login,
  onCleanup,
  punchTimeOf,
  percentile,
  progress,
  RUN_ID,
  sleep,
  startEmbeddedHub,
  startPostgresHub,
  withTimeout,
} from '../../harness/index.ts';
import { badgedEmployees, connectClients } from './clients.ts';
import { type HubStats, hubStats, hubWindow } from './metrics.ts';
import { DRAIN_MS, EMIT_TIMEOUT_MS, HUB_NODE_ARGS, KIOSKS, type Mode, PG_URL, PHASES, PROCESSES, REDIS_URL, SECONDS, SEED_EMPLOYEES, WARMUP, WATCHERS, WEBHOOK, WORKER } from './options.ts';
import { subscribeWebhook } from './webhook.ts';

export type Phase = {
  /** 'closed': every kiosk keeps one punch in flight; 'open': punches are sent on a fixed schedule at `rate`/s. */
  mode: 'closed' | 'open';
  rate: number | null;
  acked: number;
  punchesPerSecond: number;
  ack: { p50: number; p95: number; p99: number };
  delivery: { p50: number; p99: number; samples: number };
  delivered: number;
  expected: number;
  errors: number;
  errorCodes: Record<string, number>;
  unmatched: number;
  /** `worker`: the worker process's share of one core (%), when one runs. */
  cpu: Cpu & { worker?: number | null; receiver?: number | null };
  loopDelayP99: number;
  /** Mean punches per transaction in the phase (from the hub's /metrics). */
  meanBatch: number;
  /** The hub's own time from receiving a punch to acking it (its /metrics histogram), p50 and p99. */
  hubAck: { p50: number; p99: number };
  /** The hub's garbage-collection pauses in the window (ms per second) and its event-loop delay (ms). */
  hubGcMsPerSecond: number;
  hubLoopLag: { p99: number; max: number };
  batches: number;
};
export type RunResult = { phases: Phase[]; kiosks: number; employees: number; watchers: number; teams: number; hubErrorLogs: number };

type Pending = { t0: number; measured: boolean; ok: boolean; received: number; expected: number };

/**
 * A person's punches make working days, as a reader at a door sees them: six a day (in, a break, back, lunch, back,
 * out), 90 minutes apart from 07:00 UTC, day after day from PUNCH_DAYS_BACK days ago (the kiosks send them as fast
 * as the hub acks, as after a long spell offline). Punching the same people all day long instead would give each
 * record hundreds of stays, which nobody's day has. Times stay strictly increasing per person; past today they are
 * the clock.
 */
const PUNCHES_PER_DAY = 6;
export const PUNCH_DAYS_BACK = 80;
const DAY_MS = 86_400_000;
const SLOT_MS = 90 * 60_000;
const FIRST_DAY = Math.floor(Date.now() / DAY_MS) * DAY_MS - PUNCH_DAYS_BACK * DAY_MS + 7 * 3_600_000;

async function measure(hub: HubProcess, label: string, workerPid?: number): Promise<RunResult> {
  const base = hub.url;
  const adminToken = await login(base, ADMIN_EMAIL, ADMIN_PASSWORD);
  // Each employee is punched by one kiosk only.
  // The demo organisation (embedded) has 90 days of history, which the punch days would run into: punch new people.
  const { employees, teams } = await badgedEmployees(base, adminToken, label, { fresh: label === 'embedded' });
  const webhook = WEBHOOK ? await subscribeWebhook(base, adminToken, label) : null;

  const sockets: BenchSocket[] = [];
  const closeSockets = onCleanup(`${label} sockets`, async () => {
    for (const s of sockets) s.close();
  });
  try {
    const { slices, watchers, watchersOf, kiosks } = await connectClients(base, adminToken, label, employees, teams, sockets);

    // Matching a broadcast to its punch: the employee and the punch's time, which becomes the record's check-in
    // (the start of the stay it opens) or check-out (the last out). Times are unique per employee (strictly increasing ms).
    let pending = new Map<string, Pending>();
    let deliveries: number[] = [];
    let unmatched = 0;
    const keyOf = (employeeId: number, at: string | null) => `${employeeId}|${at}`;
    for (const w of watchers) {
      w.on('attendance:changed', (change: AttendanceChanged) => {
        const now = performance.now();
        const at = punchTimeOf(change.action, change.record);
        const p = pending.get(keyOf(change.record.employee_id, at));
        if (!p) {
          unmatched++;
          return;
        }
        p.received++;
        if (p.measured) deliveries.push(now - p.t0);
      });
    }
    const lastAt = new Map<number, number>();
    const punchesOf = new Map<number, number>();
    const counters = kiosks.map(() => 0);
    const phases: Phase[] = [];

    for (const phase of PHASES) {
      if (isFinishing()) break;
      pending = new Map();
      deliveries = [];
      unmatched = 0;
      const errorCodes: Record<string, number> = {};
      const countError = (code: string) => (errorCodes[code] = (errorCodes[code] ?? 0) + 1);
      const ackLatencies: number[] = [];
      const t = performance.now();
      const measureFrom = t + WARMUP * 1000;
      const measureTo = measureFrom + SECONDS * 1000;

      /** One punch of kiosk `index`, timed from `t0` (its scheduled time in the open loop). */
      async function punchOnce(socket: BenchSocket, index: number, mine: Employee[], t0: number) {
        const employee = mine[counters[index] % mine.length];
        const k = punchesOf.get(employee.employee_id) ?? 0;
        punchesOf.set(employee.employee_id, k + 1);
        const slot = FIRST_DAY + Math.floor(k / PUNCHES_PER_DAY) * DAY_MS + (k % PUNCHES_PER_DAY) * SLOT_MS;
        const atMs = Math.max(Math.min(slot, Date.now()), (lastAt.get(employee.employee_id) ?? 0) + 1);
        lastAt.set(employee.employee_id, atMs);
        const occurred_at = new Date(atMs).toISOString();
        const entry: Pending = { t0, measured: t0 >= measureFrom && t0 < measureTo, ok: false, received: 0, expected: watchersOf.get(employee.team_id!) ?? 0 };
        pending.set(keyOf(employee.employee_id, occurred_at), entry);
        counters[index]++;
        try {
          const ack = await socket.emitWithAck('attendance:check', { badge_id: employee.badge_id!, client_event_id: `bench-${RUN_ID}-${index}-${counters[index]}`, occurred_at }, EMIT_TIMEOUT_MS);
          const latency = performance.now() - t0;
          if (!ack.ok) {
            if (entry.measured) countError(ack.error.code);
          } else if (ack.duplicate) {
            if (entry.measured) countError('unexpected_duplicate');
          } else {
            const echoed = punchTimeOf(ack.action, ack.record);
            if (echoed !== occurred_at || ack.record.employee_id !== employee.employee_id) {
              if (entry.measured) countError('ack_mismatch');
            } else {
              entry.ok = true;
              if (entry.measured) ackLatencies.push(latency);
            }
          }
        } catch {
          if (socket.connected && entry.measured) countError('ack_timeout');
        }
      }

      async function closedLoop(socket: BenchSocket, index: number, mine: Employee[]) {
        while (mine.length && performance.now() < measureTo && socket.connected) await punchOnce(socket, index, mine, performance.now());
        if (!socket.connected && performance.now() < measureTo) countError('kiosk_disconnected');
      }

      // Open loop: each kiosk punches at rate/kiosks per second on its own schedule, whether or not its previous
      // punch was answered, and latency runs from the scheduled moment (no coordinated omission).
      async function openLoop(socket: BenchSocket, index: number, mine: Employee[], rate: number) {
        const interval = (1000 * KIOSKS) / rate;
        const inFlight: Promise<void>[] = [];
        for (let k = 0, next = t + (index / KIOSKS) * interval; next < measureTo && mine.length; k++, next += interval) {
          const wait = next - performance.now();
          if (wait > 0) await sleep(wait);
          if (!socket.connected) {
            countError('kiosk_disconnected');
            break;
          }
          inFlight.push(punchOnce(socket, index, mine, next));
        }
        await Promise.all(inFlight);
      }

      const name = phase.mode === 'closed' ? `${label} closed loop` : `${label} ${int(phase.rate!)}/s offered`;
      progress(`${name}: punching for ${WARMUP} s warm-up + ${SECONDS} s measured (${employees.length} employees over ${KIOSKS} kiosks)`);
      const loopDelay = monitorEventLoopDelay({ resolution: 10 });
      let cpu: Cpu | null = null;
      let mark: CpuMark | null = null;
      // The other processes the window's CPU is read for (a worker, the webhook receiver), each as a share of a core.
      const others = { worker: workerPid, receiver: webhook?.pid };
      const otherMarks = new Map<keyof typeof others, CpuMark>();
      const otherCpu: Partial<Record<keyof typeof others, number | null>> = {};
      let batchesFrom: HubStats | null = null;
      let batchesTo: HubStats | null = null;
      const markTimer = setTimeout(() => {
        mark = cpuMark(hub.pid);
        for (const [name, pid] of Object.entries(others) as [keyof typeof others, number | undefined][]) if (pid) otherMarks.set(name, cpuMark(pid));
        loopDelay.enable();
        void hubStats(base, adminToken).then((b) => (batchesFrom = b), () => undefined);
      }, Math.max(0, measureFrom - performance.now()));
      const cpuTimer = setTimeout(() => {
        if (mark) cpu = cpuSince(mark, hub.pid);
        for (const [name, mark] of otherMarks) otherCpu[name] = cpuSince(mark, others[name]).hub;
        loopDelay.disable();
        void hubStats(base, adminToken).then((b) => (batchesTo = b), () => undefined);
      }, Math.max(0, measureTo - performance.now()));
      const ticker = setInterval(() => {
        const stage = performance.now() < measureFrom ? 'warm-up' : 'measuring';
        progress(`${name}: ${stage}, ${ackLatencies.length} measured acks, ${deliveries.length} deliveries so far`);
      }, 2000);
      try {
        const loops = kiosks.map((s, i) => (phase.mode === 'closed' ? closedLoop(s, i, slices[i]) : openLoop(s, i, slices[i], phase.rate!)));
        await withTimeout(Promise.all(loops), (WARMUP + SECONDS) * 1000 + EMIT_TIMEOUT_MS + 5_000, 'kiosk loops');
      } finally {
        clearInterval(ticker);
        clearTimeout(markTimer);
        clearTimeout(cpuTimer);
        loopDelay.disable();
      }
      cpu ??= cpuSince(mark ?? cpuMark(hub.pid), hub.pid);

      // Wait (bounded) for the broadcasts of the last measured punches.
      const measuredOk = [...pending.values()].filter((p) => p.measured && p.ok);
      const expected = measuredOk.reduce((sum, p) => sum + p.expected, 0);
      const delivered = () => measuredOk.reduce((sum, p) => sum + Math.min(p.received, p.expected), 0);
      const drainUntil = performance.now() + DRAIN_MS;
      while (delivered() < expected && performance.now() < drainUntil) await sleep(50);
      for (let i = 0; i < 20 && !batchesTo; i++) await sleep(50);

      const ackSorted = ackLatencies.sort((a, b) => a - b);
      const delSorted = deliveries.sort((a, b) => a - b);
      phases.push({
        mode: phase.mode,
        rate: phase.rate,
        acked: ackSorted.length,
        punchesPerSecond: ackSorted.length / SECONDS,
        ack: { p50: percentile(ackSorted, 50), p95: percentile(ackSorted, 95), p99: percentile(ackSorted, 99) },
        delivery: { p50: percentile(delSorted, 50), p99: percentile(delSorted, 99), samples: delSorted.length },
        delivered: delivered(),
        expected,
        errors: Object.values(errorCodes).reduce((a, b) => a + b, 0),
        errorCodes,
        unmatched,
        cpu: { ...cpu, worker: otherCpu.worker ?? null, receiver: otherCpu.receiver ?? null },
        loopDelayP99: loopDelay.count ? loopDelay.percentile(99) / 1e6 : NaN,
        ...hubWindow(batchesFrom as HubStats | null, batchesTo as HubStats | null, SECONDS),
      });
      await sleep(1000); // let the hub settle between phases
    }
    if (webhook) progress(`${label}: the webhook receiver got ${int(await webhook.received())} deliveries`);
    if (hub.errorLines.length) progress(`${label}: the hub logged ${hub.errorLines.length} errors; the first: ${hub.errorLines[0].slice(0, 2000)}`);
    return { phases, kiosks: KIOSKS, employees: employees.length, watchers: WATCHERS, teams: teams.length, hubErrorLogs: hub.errorLines.length };
  } finally {
    await closeSockets();
    await webhook?.close();
  }
}

/** Punches back to PUNCH_DAYS_BACK days are accepted (they would be refused after PUNCH_MAX_AGE_HOURS, 168 by default). */
const PUNCH_WINDOW = { PUNCH_MAX_AGE_HOURS: String(24 * (PUNCH_DAYS_BACK + 5)), ...(WEBHOOK ? { WEBHOOK_ALLOW_PRIVATE: 'true' } : {}) };

/** The hub of `mode` on its own fresh data, measured, then stopped (its data removed) on every path. */
export async function runHub(mode: Mode): Promise<RunResult> {
  const { hub, stop, workerPid } =
    mode === 'embedded'
      ? await startEmbeddedHub('embedded', { nodeArgs: HUB_NODE_ARGS, extraEnv: PUNCH_WINDOW })
      : // Exactly what `npm run db:seed -- --employees N --days 1 --reset` runs, with a scratch database.
        await startPostgresHub('postgres', { pgUrl: PG_URL, redisUrl: REDIS_URL, employees: SEED_EMPLOYEES, days: 1, nodeArgs: HUB_NODE_ARGS, extraEnv: { ...PUNCH_WINDOW, API_PROCESSES: String(PROCESSES) }, worker: WORKER });
  try {
    return await measure(hub, mode, workerPid);
  } finally {
    await stop();
  }
}
