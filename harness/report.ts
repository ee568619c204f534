// Numbers as a report shows them: percentiles, short figures, ratios, Markdown cells, the README's summary rows.
import type { Cpu } from './machine.ts';

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
export const ms = (n: number) => (Number.isFinite(n) ? (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2)) : '—');
export const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en') : '—');
export const pct = (n: number | null) => (n == null ? '—' : `${Math.round(n)}%`);
/** `a / b` as "1.23×", or — when either is missing. */
export const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : '—');
/** Text for a Markdown table cell: no pipes, no newlines. */
export const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');

/** The CPU readings of a run as one table cell ("server" is the process under test). */
export const cpuCell = (c: Cpu | null) =>
  c
    ? [`server ${pct(c.hub)}`, `bench ${pct(c.bench)}`, c.postgres >= 0.5 ? `pg ${pct(c.postgres)}` : '', c.redis >= 0.5 ? `redis ${pct(c.redis)}` : '', `all ${pct(c.machine)}`]
        .filter(Boolean)
        .join(' · ')
    : '—';

/** One row of the README's results table: what was measured, the hub's figure, the same-run baseline's, the ratio. */
export type SummaryRow = { benchmark: string; hub: string; baseline: string; ratio: string };

/**
 * The rows a benchmark contributes to the README's results table, as HTML comments at the end of its report
 * (invisible in bench/RESULTS.md); `npm run bench:all` collects them.
 */
export const summaryLines = (rows: SummaryRow[]) => rows.map((r) => `<!-- summary ${JSON.stringify(r)} -->`);
