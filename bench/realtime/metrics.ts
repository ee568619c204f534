// The hub's own view of a phase, from its /metrics (Prometheus text) read at both ends of the measured window: what
// this process cannot time from outside (transactions, its receipt-to-ack time, GC, its event-loop delay).

export type HubStats = { sum: number; count: number; ackBuckets: [number, number][]; gcSeconds: number; loopLagP99: number; loopLagMax: number };

/** From the hub's /metrics: the punch batch histogram (transactions, punches in them) and the ack-time buckets. */
export async function hubStats(base: string, token: string): Promise<HubStats> {
  const res = await fetch(`${base}/metrics`, { headers: { Authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  const value = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([\\d.e+]+)$`, 'm').exec(text)?.[1] ?? NaN);
  const ackBuckets = [...text.matchAll(/^checkin_punch_ack_seconds_bucket\{le="([^"]+)"\} (\d+)$/gm)].map((m) => [m[1] === '+Inf' ? Infinity : Number(m[1]) * 1000, Number(m[2])] as [number, number]);
  const gcSeconds = [...text.matchAll(/^checkin_nodejs_gc_duration_seconds_sum\{[^}]*\} ([\d.e+-]+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
  // The event-loop delay gauges cover the time since the previous scrape (prom-client resets its histogram).
  return {
    sum: value('checkin_punch_batch_size_sum'),
    count: value('checkin_punch_batch_size_count'),
    ackBuckets,
    gcSeconds,
    loopLagP99: value('checkin_nodejs_eventloop_lag_p99_seconds') * 1000,
    loopLagMax: value('checkin_nodejs_eventloop_lag_max_seconds') * 1000,
  };
}

/** A quantile of the hub's own ack times (receipt to ack, ms) between two readings, interpolated within its bucket. */
function hubAckQuantile(from: HubStats, to: HubStats, q: number): number {
  const counts = to.ackBuckets.map(([le, n], i) => [le, n - (from.ackBuckets[i]?.[1] ?? 0)] as [number, number]);
  const total = counts.at(-1)?.[1] ?? 0;
  if (!total) return NaN;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const [le, n] of counts) {
    if (n >= rank) return Number.isFinite(le) ? lower + ((rank - below) / Math.max(1, n - below)) * (le - lower) : lower;
    lower = le;
    below = n;
  }
  return NaN;
}

/** The hub's figures over a phase's window (NaN for each reading that is missing). */
export function hubWindow(from: HubStats | null, to: HubStats | null, seconds: number) {
  const batches = from && to ? to.count - from.count : NaN;
  return {
    batches,
    meanBatch: from && to ? (to.sum - from.sum) / batches : NaN,
    hubAck: { p50: from && to ? hubAckQuantile(from, to, 0.5) : NaN, p99: from && to ? hubAckQuantile(from, to, 0.99) : NaN },
    hubGcMsPerSecond: from && to ? ((to.gcSeconds - from.gcSeconds) * 1000) / seconds : NaN,
    hubLoopLag: { p99: to?.loopLagP99 ?? NaN, max: to?.loopLagMax ?? NaN },
  };
}
