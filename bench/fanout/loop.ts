// The open loop and its statistics, shared by the hub and the plain ws runs: punches fired on a timer whatever the
// answers, each watcher's delivery of each measured punch timed from the emit, CPU and event-loop delay over the window.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { type Cpu, cpuMark, type CpuMark, cpuSince, int, isFinishing, percentile, progress, sleep, withTimeout } from '../../harness/index.ts';
import { DRAIN_MS, RATE, SECONDS, WARMUP } from './options.ts';

export type Pending = { t0: number; measured: boolean; received: number; acked: boolean };

export class Tally {
  readonly pending = new Map<string, Pending>();
  readonly deliveries: number[] = [];
  readonly ackLatencies: number[] = [];
  readonly emitLags: number[] = [];
  readonly errors: Record<string, number> = {};
  unmatched = 0;
  /** Messages received by watchers between measureFrom and measureTo (whatever punch they belong to). */
  inWindow = 0;
  sent = 0;
  measuredSent = 0;
  measureFrom = Infinity;
  measureTo = Infinity;

  error(code: string) {
    this.errors[code] = (this.errors[code] ?? 0) + 1;
  }
  /** A watcher received the broadcast of `key`. */
  delivered(key: string, now: number) {
    if (now >= this.measureFrom && now < this.measureTo) this.inWindow++;
    const p = this.pending.get(key);
    if (!p) {
      this.unmatched++;
      return;
    }
    p.received++;
    if (p.measured) this.deliveries.push(now - p.t0);
  }
  acked(p: Pending) {
    p.acked = true;
    if (p.measured) this.ackLatencies.push(performance.now() - p.t0);
  }
}

/**
 * Fires `fire(n)` for n = 0, 1, … at `rate` per second from a timer (open loop: never waits for answers), for
 * warm-up + measured seconds. Punches scheduled in the measured window are the measured ones. Resolves when the last
 * one is fired; the lateness of each fire (this process's own lag) is kept in tally.emitLags.
 */
function openLoop(tally: Tally, fire: (n: number, measured: boolean) => void): Promise<void> {
  const start = performance.now() + 100;
  const total = Math.round(RATE * (WARMUP + SECONDS));
  tally.measureFrom = start + WARMUP * 1000;
  tally.measureTo = tally.measureFrom + SECONDS * 1000;
  const due = (n: number) => start + (n * 1000) / RATE;
  let n = 0;
  return new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (n < total && due(n) <= now) {
        const at = due(n);
        tally.emitLags.push(now - at);
        const measured = at >= tally.measureFrom && at < tally.measureTo;
        tally.sent++;
        if (measured) tally.measuredSent++;
        fire(n, measured);
        n++;
      }
      if (n >= total || isFinishing()) return resolve();
      setTimeout(tick, Math.max(0, due(n) - performance.now()));
    };
    setTimeout(tick, Math.max(0, start - performance.now()));
  });
}

export type FanoutResult = {
  watchers: number;
  kiosks: number;
  sent: number;
  measuredSent: number;
  acked: number;
  ack: { p50: number; p99: number };
  delivery: { p50: number; p90: number; p99: number; max: number; samples: number };
  delivered: number;
  expected: number;
  messagesPerSecond: number;
  emitLagP99: number;
  errors: Record<string, number>;
  unmatched: number;
  cpu: Cpu | null;
  loopDelayP99: number;
  payloadBytes: number;
  serverErrorLogs: number;
  connectSeconds: number;
  notes: string[];
  /** PostgreSQL or Redis restarted during the run (by other work on the machine), or null. */
  disturbed: string | null;
};

/**
 * Runs the open loop with CPU and event-loop readings over the measured window, then waits (bounded) for the
 * stragglers: every measured punch is expected at each of the `watchers` connected.
 */
export async function drive(label: string, tally: Tally, serverPid: number, watchers: number, fire: (n: number, measured: boolean) => void) {
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  let cpu: Cpu | null = null;
  let mark: CpuMark | null = null;
  const ticker = setInterval(
    () => progress(`${label}: ${performance.now() < tally.measureFrom ? 'warm-up' : 'measuring'}, ${int(tally.sent)} punches sent, ${int(tally.deliveries.length)} measured deliveries`),
    2000,
  );
  try {
    // The CPU and event-loop window opens with the first measured punch and closes after the last one (timers of their
    // own would fire late exactly when this process is overloaded).
    await withTimeout(
      openLoop(tally, (n, measured) => {
        if (measured && !mark) {
          mark = cpuMark(serverPid);
          loopDelay.enable();
        }
        fire(n, measured);
      }),
      (WARMUP + SECONDS) * 1000 + 60_000,
      `${label} open loop`,
    );
    if (mark) cpu = cpuSince(mark, serverPid);
  } finally {
    clearInterval(ticker);
    loopDelay.disable();
  }
  const measured = [...tally.pending.values()].filter((p) => p.measured);
  const expected = measured.length * watchers;
  const delivered = () => measured.reduce((sum, p) => sum + Math.min(p.received, watchers), 0);
  const acked = () => measured.filter((p) => p.acked).length;
  const until = performance.now() + DRAIN_MS;
  while ((delivered() < expected || acked() < measured.length) && performance.now() < until) await sleep(50);
  if (delivered() < expected) progress(`${label}: ${int(expected - delivered())} deliveries still missing ${DRAIN_MS / 1000} s after the last punch`);
  return { cpu: cpu as Cpu | null, loopDelayP99: loopDelay.count ? loopDelay.percentile(99) / 1e6 : NaN, expected, delivered: delivered(), acked: acked() };
}

export function summarize(
  tally: Tally,
  d: Awaited<ReturnType<typeof drive>>,
  extra: Pick<FanoutResult, 'watchers' | 'kiosks' | 'payloadBytes' | 'serverErrorLogs' | 'connectSeconds' | 'notes' | 'disturbed'>,
): FanoutResult {
  const del = Float64Array.from(tally.deliveries).sort();
  const acks = Float64Array.from(tally.ackLatencies).sort();
  const lags = Float64Array.from(tally.emitLags).sort();
  return {
    ...extra,
    sent: tally.sent,
    measuredSent: tally.measuredSent,
    acked: d.acked,
    ack: { p50: percentile(acks, 50), p99: percentile(acks, 99) },
    delivery: { p50: percentile(del, 50), p90: percentile(del, 90), p99: percentile(del, 99), max: del.length ? del[del.length - 1] : NaN, samples: del.length },
    delivered: d.delivered,
    expected: d.expected,
    messagesPerSecond: tally.inWindow / SECONDS,
    emitLagP99: percentile(lags, 99),
    errors: tally.errors,
    unmatched: tally.unmatched,
    cpu: d.cpu,
    loopDelayP99: d.loopDelayP99,
  };
}
