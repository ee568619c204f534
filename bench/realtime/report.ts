// The report: machine facts, one Markdown table (pgbench's row, then a row per phase of each hub mode), the notes, and
// the README's summary rows. A part that failed keeps its place in the table, with its error.
import os from 'node:os';
import { type Cpu, int, ms, pct, summaryLines, type SummaryRow, UNLIMITED } from '../../harness/index.ts';
import type { RunResult } from './measure.ts';
import { CLIENT, KIOSKS, type Mode, PGBENCH_CLIENTS, PROCESSES, RATES, SECONDS, WARMUP, WATCHERS } from './options.ts';
import type { Pgbench } from './pgbench.ts';

const NAMES: Record<Mode, string> = {
  embedded: 'embedded (PGlite, one process)',
  postgres: `PostgreSQL + Redis (${PROCESSES === 1 ? 'one hub process' : `API_PROCESSES=${PROCESSES}`})`,
};

/**
 * The CPU readings of a window as one cell: unlike the harness's cpuCell, PostgreSQL always shows (it is the baseline
 * here), and the hub and this process only in the hub's rows (pgbench has neither).
 */
const windowCpuCell = (c: (Cpu & { worker?: number | null; receiver?: number | null }) | null, withHub: boolean) =>
  c
    ? [withHub ? `hub ${pct(c.hub)}` : '', c.worker != null ? `worker ${pct(c.worker)}` : '', c.receiver != null ? `webhook receiver ${pct(c.receiver)}` : '', `pg ${pct(c.postgres)}`, c.redis >= 0.5 ? `redis ${pct(c.redis)}` : '', withHub ? `bench ${pct(c.bench)}` : '', `all ${pct(c.machine)}`]
        .filter(Boolean)
        .join(' · ')
    : '—';

/** CPU time per punch (µs) from a window's share of one core (%) and its rate (/s). */
const perPunch = (pctOfCore: number | null | undefined, rate: number) => (pctOfCore != null && rate > 0 ? int((pctOfCore / 100 / rate) * 1e6) : '—');

export function report(factLines: string[], pgb: Pgbench | Error, results: Map<Mode, RunResult | Error>) {
  const tps = pgb instanceof Error ? NaN : pgb.tps;
  const out: string[] = [];
  out.push(`## Check-in Hub realtime benchmark`, '', ...factLines, '');
  out.push(
    `Run: ${KIOSKS} kiosks, ${WATCHERS} board watchers (one team each), all ${CLIENT === 'raw' ? 'speaking the Socket.IO wire protocol over bare ws clients (--client raw)' : 'on socket.io-client'}, ${WARMUP} s warm-up + ${SECONDS} s measured per phase: a closed loop (one punch in flight per kiosk), ` +
      `then ${RATES.length ? RATES.map((r) => `${int(r)} punches/s offered (open loop)`).join(', ') : 'no open-loop rate'}; ` +
      `pgbench ${PGBENCH_CLIENTS} clients for ${Math.ceil(SECONDS)} s. Latencies in ms. ` +
      `CPU in the measured window, in % of one core (${os.availableParallelism() * 100}% = every core): the hub process, the worker (--worker), the webhook receiver (--webhook), all PostgreSQL processes, redis-server, this load generator, and the whole machine (whatever else runs is the difference).`,
    '',
  );
  out.push('| mode | load | punches/s acked | ack p50 | ack p95 | ack p99 | hub ack p50 / p99 | delivery p50 | delivery p99 | deliveries received / expected | errors | punches per transaction | CPU per punch: hub / PostgreSQL (µs) | ÷ pgbench tps | CPU during the window |');
  out.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  if (pgb instanceof Error) out.push(`| pgbench single-row INSERT | | failed: ${pgb.message.split('\n')[0]} | | | | | | | | | | | | |`);
  else out.push(`| pgbench single-row INSERT (baseline, tps) | ${PGBENCH_CLIENTS} clients | ${int(pgb.tps)} | — | — | — | — | — | — | — | — | 1 | — / ${perPunch(pgb.cpu?.postgres, pgb.tps)} per INSERT | 1.00 | ${windowCpuCell(pgb.cpu, false)} |`);
  for (const [mode, r] of results) {
    if (r instanceof Error) {
      out.push(`| ${NAMES[mode]} | | failed: ${r.message.split('\n')[0].replace(/\|/g, '\\|')} | | | | | | | | | | | | |`);
      continue;
    }
    for (const ph of r.phases) {
      const load = ph.mode === 'closed' ? `closed loop, ${r.kiosks} kiosks` : `${int(ph.rate!)}/s offered`;
      out.push(
        `| ${NAMES[mode]} | ${load} | ${int(ph.punchesPerSecond)} | ${ms(ph.ack.p50)} | ${ms(ph.ack.p95)} | ${ms(ph.ack.p99)} | ${ms(ph.hubAck.p50)} / ${ms(ph.hubAck.p99)} | ${ms(ph.delivery.p50)} | ${ms(ph.delivery.p99)} | ` +
          `${int(ph.delivered)} / ${int(ph.expected)} | ${int(ph.errors)} | ${Number.isFinite(ph.meanBatch) ? ph.meanBatch.toFixed(1) : '—'} | ${perPunch(ph.cpu?.hub, ph.punchesPerSecond)} / ${mode === 'embedded' ? 'in the hub' : perPunch(ph.cpu?.postgres, ph.punchesPerSecond)} | ${Number.isFinite(tps) ? (ph.punchesPerSecond / tps).toFixed(2) : '—'} | ${windowCpuCell(ph.cpu, true)} |`,
      );
    }
  }
  out.push('', 'Notes:');
  if (!(pgb instanceof Error)) out.push(`- pgbench latency average: ${pgb.latencyMs} ms (one INSERT per transaction, \`-c ${PGBENCH_CLIENTS} -j ${Math.min(2, PGBENCH_CLIENTS)} -n\`).`);
  for (const [mode, r] of results) {
    if (r instanceof Error) continue;
    for (const ph of r.phases) {
      const codes = Object.entries(ph.errorCodes).map(([c, n]) => `${c} ${n}`).join(', ') || 'none';
      out.push(
        `- ${mode}, ${ph.mode === 'closed' ? 'closed loop' : `${int(ph.rate!)}/s offered`}: ${int(ph.acked)} punches acked in the window by ${r.kiosks} kiosks over ${r.employees} employees in ${r.teams} teams ` +
          `(${Number.isFinite(ph.batches) ? int(ph.batches) : '—'} transactions); ${int(ph.delivery.samples)} delivery samples over ${r.watchers} watchers; errors: ${codes}; broadcasts matching no punch: ${ph.unmatched}; ` +
          `load-generator event-loop delay p99: ${ms(ph.loopDelayP99)} ms; hub event-loop delay p99 ${ms(ph.hubLoopLag.p99)} ms, max ${ms(ph.hubLoopLag.max)} ms; hub GC pauses ${ms(ph.hubGcMsPerSecond)} ms per second.`,
      );
    }
    out.push(`- ${mode}: hub error log lines: ${r.hubErrorLogs}.`);
  }
  out.push(
    '- A punch is validated, looked up by badge, decided against the day’s record (locked), written with its record and its raw punch, committed, acked, numbered per team and broadcast; pgbench’s transaction is one INSERT. Punches that arrive while a transaction is being written go together in the next one (group commit): the "punches per transaction" column.',
    '- Ack latency is timed in this process from the kiosk’s emit (open loop: its scheduled moment) to the ack, so it includes the network path and this load generator’s own event-loop delay; “hub ack” is the hub’s own histogram (`checkin_punch_ack_seconds` in /metrics, receipt to ack, interpolated within its buckets).',
    `- Delivery latency: from the kiosk’s emit (open loop: its scheduled moment) to each watcher’s \`attendance:changed\`, timed in this process (so it includes this process’s own event-loop delay). PostgreSQL mode: DB_POOL_MAX=10 (the default); rate limits raised (${Object.entries(UNLIMITED).map(([k, v]) => `${k}=${v}`).join(', ')}).`,
  );
  out.push('', ...summaryLines(summaryRows(results, tps)));
  return out.join('\n');
}

/** The README's rows: each closed loop against pgbench's rate, each offered rate against the latency target. */
function summaryRows(results: Map<Mode, RunResult | Error>, tps: number): SummaryRow[] {
  const summary: SummaryRow[] = [];
  for (const [mode, r] of results) {
    if (r instanceof Error) continue;
    for (const ph of r.phases) {
      const where = mode === 'embedded' ? 'embedded (PGlite)' : 'PostgreSQL + Redis';
      if (ph.mode === 'closed') {
        summary.push({
          benchmark: `punch ingest, ${where}, ${r.kiosks} kiosks closed loop`,
          hub: `${int(ph.punchesPerSecond)} punches/s, ack p50 ${ms(ph.ack.p50)} / p99 ${ms(ph.ack.p99)} ms, ${Number.isFinite(ph.meanBatch) ? ph.meanBatch.toFixed(0) : '—'} per transaction`,
          baseline: `pgbench ${int(tps)} single-row INSERT tx/s`,
          ratio: Number.isFinite(tps) ? `${(ph.punchesPerSecond / tps).toFixed(2)}× (target ≥ 1.0)` : '—',
        });
      } else {
        summary.push({
          benchmark: `punch ack latency, ${where}, ${int(ph.rate!)} punches/s offered`,
          hub: `ack p50 ${ms(ph.ack.p50)} / p99 ${ms(ph.ack.p99)} ms (hub alone p99 ${ms(ph.hubAck.p99)} ms); board delivery p99 ${ms(ph.delivery.p99)} ms`,
          baseline: 'target p99 < 50 ms',
          ratio: ph.ack.p99 < 50 ? '✓' : '✗',
        });
      }
    }
  }
  return summary;
}
