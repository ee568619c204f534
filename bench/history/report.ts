// The report's tables.
// The report
import { readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { summariseProfile } from '../cpuprofile-summary.ts';
import { int, ms, pct } from '../../harness/index.ts';
import type { Plan } from './explain.ts';
import type { LoadResult, SeqResult } from './load.ts';
import { args, CONCURRENCY, TARGETS } from './options.ts';

export type Row = {
  label: string;
  detail: string;
  answer: string;
  hub: LoadResult | null;
  baseline: LoadResult | null;
  hubSeq: SeqResult | null;
  baseSeq: SeqResult | null;
  sql: SeqResult | null;
  seqTargetMs: number;
  error?: string;
};

export const mark = (ok: boolean) => (ok ? '✅' : '❌');
export const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : NaN);
export const fmtRatio = (r: number) => (Number.isFinite(r) ? r.toFixed(2) : '—');
export const p5099 = (r: { p50: number; p99: number } | null) => (r ? `${ms(r.p50)} / ${ms(r.p99)}` : '—');
/** Failed requests (or recomputes) of a side, under load and one at a time; flagged when not zero. */
export const errs = (load: { errors: number } | null, seq: { errors: number } | null) => {
  const n = (load?.errors ?? 0) + (seq?.errors ?? 0);
  return n ? `**${int(n)}** ⚠️` : '0';
};

export function table(rows: Row[]) {
  const out: string[] = [];
  out.push(
    `| query | rows returned / X-Total-Count | hub req/s | baseline req/s | req/s hub ÷ baseline (≥ ${TARGETS.rpsRatio}) | hub p50 / p99 | baseline p50 / p99 | p99 hub ÷ baseline (≤ ${TARGETS.p99Ratio}) | one at a time: hub p50 / p99 | one at a time: baseline p50 / p99 | one-at-a-time p99 hub ÷ baseline | one-at-a-time target | SQL alone p50 / p99 | errors hub / baseline |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|',
  );
  for (const r of rows) {
    if (r.error) {
      out.push(`| ${r.label} | failed: ${r.error.split('\n')[0].replace(/\|/g, '\\|').slice(0, 300)} | | | | | | | | | | | | |`);
      continue;
    }
    const rps = ratio(r.hub?.rps ?? NaN, r.baseline?.rps ?? NaN);
    const p99 = ratio(r.hub?.p99 ?? NaN, r.baseline?.p99 ?? NaN);
    const seq = ratio(r.hubSeq?.p99 ?? NaN, r.baseSeq?.p99 ?? NaN);
    const seqOk = (r.hubSeq?.p99 ?? Infinity) < r.seqTargetMs;
    out.push(
      `| ${r.label} | ${r.answer} | ${r.hub ? int(r.hub.rps) : '—'} | ${r.baseline ? int(r.baseline.rps) : '—'} | ${fmtRatio(rps)} ${Number.isFinite(rps) ? mark(rps >= TARGETS.rpsRatio) : ''} | ` +
        `${p5099(r.hub)} | ${p5099(r.baseline)} | ${fmtRatio(p99)} ${Number.isFinite(p99) ? mark(p99 <= TARGETS.p99Ratio) : ''} | ` +
        `${p5099(r.hubSeq)} | ${p5099(r.baseSeq)} | ${fmtRatio(seq)} | hub p99 < ${int(r.seqTargetMs)} ms ${r.hubSeq ? mark(seqOk) : ''} | ${p5099(r.sql)} | ${errs(r.hub, r.hubSeq)} / ${errs(r.baseline, r.baseSeq)} |`,
    );
  }
  return out;
}

export function planTable(plans: Plan[]) {
  const out: string[] = [];
  out.push('| query | statement | plan top line | index used | seq scans | execution ms | buffers (top node) | notes |', '|---|---|---|---|---|---:|---|---|');
  for (const p of plans) {
    out.push(
      `| ${p.query} | ${p.statement} | \`${p.top.replace(/\|/g, '\\|')}\` | ${p.indexes.length ? `yes: ${p.indexes.join(', ')}` : '**no**'} | ${p.seqScans.join(', ') || '—'} | ` +
        `${ms(p.executionMs)} | ${p.buffers || '—'} | ${p.extra || '—'} |`,
    );
  }
  return out;
}

export function summaryNote(who: string, load: { count: number; errors: number; firstError?: string | null }, seq: { n: number }, cpuPct: number | null) {
  return (
    `- summary recompute, ${who} at ${CONCURRENCY} callers: ${int(load.count)} recomputes measured, ${load.errors} errors${load.firstError ? ` (first: ${load.firstError})` : ''}; ` +
    `CPU of the script process ${pct(cpuPct)}; one at a time: ${seq.n} recomputes.`
  );
}

/** The hub's CPU profile (--hub-cpu-prof DIR), summarised on stderr: self time by package and by function. */
export function printProfile(pid: number) {
  const dir = args['hub-cpu-prof'];
  if (!dir) return;
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile') && f.includes(`.${pid}.`))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).size - statSync(a).size);
  // The main thread's profile is the largest (worker threads, such as bcrypt's, write their own).
  if (files[0]) process.stderr.write(`\nCPU profile of the hub (${files[0]}):\n${summariseProfile(files[0], { top: 25 }).join('\n')}\n`);
}

/** The note on how the CPU columns are read (both benchmarks). */
export const cpuNote = () =>
  `- CPU in % of one core (${os.availableParallelism() * 100}% = every core), over the measured window. The load generator is this process; “whole machine” includes other work on the machine.`;
