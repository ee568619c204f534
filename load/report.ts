// Turns artillery's JSON report into a readable Markdown summary: latency percentiles per 10 s window, totals,
// status codes, errors and the scenario's own counters. run.ts calls it after each run; it also runs alone:
//   node load/report.ts load/reports/<name>.json [out.md]      (through npm: npx node load/report.ts …)
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';

type Summary = { min: number; max: number; count: number; mean: number; p50: number; p95: number; p99: number };
/** One period of artillery's report (`intermediate[]` are 10 s windows; `aggregate` is the whole run). */
type Period = {
  period?: number;
  firstMetricAt?: number;
  lastMetricAt?: number;
  counters: Record<string, number>;
  rates?: Record<string, number>;
  summaries: Record<string, Summary>;
};
export type ArtilleryReport = { aggregate: Period; intermediate: Period[] };

export type RunInfo = {
  scenario: string;
  target: string;
  started: Date;
  phases: { name?: string; duration?: number; pause?: number; arrivalRate?: number; rampTo?: number; arrivalCount?: number; maxVusers?: number }[];
  scale: number;
  kiosks?: number;
  watchers?: number;
  badges?: number;
  exitCode?: number;
  /** The JSON report's file name. */
  json?: string;
  /** The machine's cores and 1-minute load average before and after (the generator and the hub share them). */
  machine?: { cores: number; loadBefore: number; loadAfter: number };
  /** The hub's own view between two scrapes of GET /metrics around the run. */
  hub?: { seconds: number; cpuSeconds: number; lagMaxMs: number; lagP99Ms: number; lagMeanMs: number };
};

/** The request streams a scenario can have: what counts as one request, and its latency histogram. */
const STREAMS = [
  { title: 'HTTP responses', requests: 'http.requests', latency: 'http.response_time' },
  { title: 'Socket.IO acknowledgements', requests: 'socketio.emit', latency: 'socketio.response_time' },
];
/** Our own histograms (processors.mjs), shown over time too. */
const CUSTOM = ['socketio.connect_ms', 'board.delivery_ms', 'board.rejoin_ms', 'assistant.answer_ms', 'assistant.first_step_ms'];
const ENDPOINT = 'plugins.metrics-by-endpoint.response_time.';
const WINDOW_MS = 10_000; // artillery's reporting period

const ms = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '–' : n < 10 ? n.toFixed(1) : Math.round(n).toLocaleString('en-US'));
const int = (n: number | undefined) => (n === undefined ? '0' : Math.round(n).toLocaleString('en-US'));
const clock = (t: number) => new Date(t).toISOString().slice(11, 19);
const sumOf = (counters: Record<string, number>, prefix: string) =>
  Object.entries(counters).reduce((s, [k, v]) => (k.startsWith(prefix) ? s + v : s), 0);
/** A Markdown table: the first column left-aligned, numbers right-aligned (unless `left`). */
const table = (header: string[], rows: string[][], left = false) =>
  [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 || left ? '---' : '---:')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

function describePhase(p: RunInfo['phases'][number]): string {
  if (p.pause !== undefined) return `${p.name ?? 'pause'}: ${p.pause} s pause`;
  const load = p.arrivalCount !== undefined ? `${p.arrivalCount} arrivals` : p.rampTo !== undefined ? `${p.arrivalRate}→${p.rampTo}/s` : `${p.arrivalRate}/s`;
  return `${p.name ?? 'phase'}: ${p.duration} s, ${load}${p.maxVusers ? ` (max ${p.maxVusers} at once)` : ''}`;
}

/** The Markdown summary of one run. */
export function renderMarkdown(report: ArtilleryReport, info: RunInfo): string {
  const agg = report.aggregate;
  // Periods are epoch milliseconds (strings in some artillery versions). Artillery leaves out windows without any
  // metric (boards between two bursts): put them back, empty, so the time axis has no holes.
  const periods = new Map(report.intermediate.filter((p) => p.period !== undefined).map((p) => [Number(p.period), p]));
  const times = [...periods.keys()].sort((a, b) => a - b);
  const windows: (Period & { period: number })[] = [];
  for (let t = times[0]; times.length && t <= times[times.length - 1]; t += WINDOW_MS) {
    windows.push({ counters: {}, summaries: {}, ...periods.get(t), period: t });
  }
  const first = windows[0]?.period ?? Number(agg.firstMetricAt ?? info.started.getTime());
  const c = agg.counters;
  const seconds = agg.firstMetricAt && agg.lastMetricAt ? (Number(agg.lastMetricAt) - Number(agg.firstMetricAt)) / 1000 : undefined;
  const out: string[] = [];

  const began = new Date(agg.firstMetricAt ? Number(agg.firstMetricAt) : info.started.getTime());
  out.push(`# Load test: ${info.scenario}, ${began.toISOString().slice(0, 19).replace('T', ' ')} UTC`, '');
  const facts: [string, string][] = [
    ['target', info.target],
    ['phases', info.phases.map(describePhase).join('; ') + (info.scale !== 1 ? ` (scale ${info.scale})` : '')],
    ['measured', seconds !== undefined ? `${seconds.toFixed(0)} s, ${windows.length} windows of 10 s` : '–'],
    [
      'virtual users',
      `${int(c['vusers.created'])} created, ${int(c['vusers.completed'])} completed, ${int(c['vusers.failed'])} failed` +
        (c['vusers.skipped'] ? `, ${int(c['vusers.skipped'])} skipped (maxVusers)` : ''),
    ],
  ];
  for (const s of STREAMS) {
    if (c[s.requests]) facts.push([s.title.toLowerCase(), `${int(c[s.requests])}${seconds ? ` (${(c[s.requests] / seconds).toFixed(1)}/s)` : ''}`]);
  }
  facts.push(['errors', int(sumOf(c, 'errors.'))]);
  if (info.kiosks) facts.push(['kiosks registered', String(info.kiosks)]);
  if (info.watchers) facts.push(['board watchers (payload rows)', String(info.watchers)]);
  if (info.badges !== undefined) facts.push(['badges in play', String(info.badges)]);
  if (info.hub) {
    const h = info.hub;
    facts.push([
      'hub (GET /metrics)',
      `${h.cpuSeconds.toFixed(1)} CPU-s in ${h.seconds.toFixed(0)} s (${((100 * h.cpuSeconds) / h.seconds).toFixed(0)}% of a core); ` +
        `event-loop lag mean ${ms(h.lagMeanMs)} ms, p99 ${ms(h.lagP99Ms)} ms, max ${ms(h.lagMaxMs)} ms`,
    ]);
  }
  if (info.machine) {
    const m = info.machine;
    facts.push(['machine', `${m.cores} cores, load average ${m.loadBefore.toFixed(1)} before, ${m.loadAfter.toFixed(1)} after (artillery and the hub share it)`]);
  }
  facts.push(['artillery exit code', String(info.exitCode ?? '–')]);
  if (info.json) facts.push(['JSON report', `\`${info.json}\` (beside this file)`]);
  out.push(table(['', ''], facts.map(([k, v]) => [k, v]), true), '');

  out.push('## Latency over time', '', 'Per 10 s window (artillery periods, start time in UTC). Latencies in ms; errors are all `errors.*` counters of the window.', '');
  for (const s of STREAMS) {
    if (!agg.summaries[s.latency] && !c[s.requests]) continue;
    out.push(`### ${s.title} (\`${s.latency}\`)`, '');
    const rows = windows.map((w) => {
      const h = w.summaries[s.latency];
      return [`${clock(w.period)} (+${Math.round((w.period - first) / 1000)} s)`, int(w.counters[s.requests]), ms(h?.p50), ms(h?.p95), ms(h?.p99), int(sumOf(w.counters, 'errors.'))];
    });
    const h = agg.summaries[s.latency];
    rows.push(['**whole run**', `**${int(c[s.requests])}**`, `**${ms(h?.p50)}**`, `**${ms(h?.p95)}**`, `**${ms(h?.p99)}**`, `**${int(sumOf(c, 'errors.'))}**`]);
    out.push(table(['window', 'requests', 'p50', 'p95', 'p99', 'errors'], rows), '');
  }
  for (const name of CUSTOM) {
    if (!agg.summaries[name]) continue;
    out.push(`### \`${name}\``, '');
    const rows = windows.map((w) => {
      const h = w.summaries[name];
      return [`${clock(w.period)} (+${Math.round((w.period - first) / 1000)} s)`, int(h?.count), ms(h?.p50), ms(h?.p95), ms(h?.p99), ms(h?.max)];
    });
    const h = agg.summaries[name];
    rows.push(['**whole run**', `**${int(h.count)}**`, `**${ms(h.p50)}**`, `**${ms(h.p95)}**`, `**${ms(h.p99)}**`, `**${ms(h.max)}**`]);
    out.push(table(['window', 'count', 'p50', 'p95', 'p99', 'max'], rows), '');
  }

  const latencies = Object.keys(agg.summaries)
    .filter((k) => k !== 'vusers.session_length')
    .sort((a, b) => Number(a.startsWith(ENDPOINT)) - Number(b.startsWith(ENDPOINT)) || a.localeCompare(b));
  out.push('## Whole run', '', '### Latencies (ms)', '');
  out.push(
    table(
      ['metric', 'count', 'min', 'p50', 'p95', 'p99', 'max'],
      latencies.map((k) => {
        const h = agg.summaries[k];
        const label = k.startsWith(ENDPOINT) ? `endpoint \`${k.slice(ENDPOINT.length)}\`` : `\`${k}\``;
        return [label, int(h.count), ms(h.min), ms(h.p50), ms(h.p95), ms(h.p99), ms(h.max)];
      }),
    ),
    '',
  );

  const codes = Object.entries(c).filter(([k]) => k.startsWith('http.codes.'));
  if (codes.length) out.push('### HTTP status codes', '', table(['status', 'responses'], codes.map(([k, v]) => [k.slice('http.codes.'.length), int(v)])), '');

  const errors = Object.entries(c).filter(([k]) => k.startsWith('errors.')).sort((a, b) => b[1] - a[1]);
  out.push('### Errors', '', errors.length ? table(['error', 'count'], errors.map(([k, v]) => [`\`${k.slice('errors.'.length)}\``, int(v)])) : 'None.', '');

  const own = Object.entries(c)
    .filter(([k]) => /^(punch|board|assistant|tokens|socketio)\./.test(k) || k.startsWith('vusers.created_by_name.'))
    .sort(([a], [b]) => a.localeCompare(b));
  if (own.length) out.push('### Counters', '', table(['counter', 'value'], own.map(([k, v]) => [`\`${k}\``, int(v)])), '');

  return out.join('\n');
}

/** Reads artillery's JSON report and writes the Markdown summary next to it. */
export function writeMarkdown(jsonPath: string, mdPath: string, info: RunInfo): void {
  const report = JSON.parse(readFileSync(jsonPath, 'utf8')) as ArtilleryReport;
  writeFileSync(mdPath, renderMarkdown(report, { json: basename(jsonPath), ...info }) + '\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [jsonPath, mdPath] = process.argv.slice(2);
  if (!jsonPath) {
    console.error('node load/report.ts <artillery-report.json> [summary.md]');
    process.exit(2);
  }
  const report = JSON.parse(readFileSync(jsonPath, 'utf8')) as ArtilleryReport;
  const scenario = basename(jsonPath).replace(/-\d{4}-\d{2}-\d{2}T.*$/, '').replace(/\.json$/, '');
  const started = new Date(Number(report.aggregate.firstMetricAt ?? Date.now()));
  const md = renderMarkdown(report, { scenario, target: '(not recorded in the JSON)', started, phases: [], scale: 1, json: basename(jsonPath) });
  if (mdPath) writeFileSync(mdPath, md + '\n');
  else console.log(md);
}
