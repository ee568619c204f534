// npm run bench:all [-- --quick] — runs every benchmark one after the other (each against a baseline measured in the
// same run), collects the tables they print, and writes them to bench/RESULTS.md and the README's results section.
import { spawnSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { readFileSync, writeFileSync } from 'node:fs';

const quick = process.argv.includes('--quick');
const runs: { title: string; script: string; args: string[] }[] = [
  { title: 'Punch ingest and board delivery (vs pgbench single-row INSERT)', script: 'bench/realtime.ts', args: quick ? ['--seconds', '5'] : [] },
  { title: 'Fan-out to 1,000 board watchers at 100 punches/s (vs a plain ws server)', script: 'bench/fanout.ts', args: quick ? ['--seconds', '5'] : [] },
  { title: 'Fan-out to 1,000 board watchers at 20 punches/s (vs a plain ws server)', script: 'bench/fanout.ts', args: quick ? ['--seconds', '5', '--rate', '20'] : ['--rate', '20'] },
  { title: 'Idle authenticated connections (vs a plain ws server)', script: 'bench/connections.ts', args: quick ? ['--sockets', '2000'] : [] },
  { title: 'History queries at volume (vs the same SQL through pg + node:http)', script: 'bench/history.ts', args: quick ? ['--employees', '2000', '--seconds', '5'] : ['--keep-db'] },
  {
    title: 'History queries, embedded mode (PGlite) next to the hub on PostgreSQL',
    script: 'bench/history.ts',
    args: quick ? ['--embedded', '--employees', '200', '--seconds', '5'] : ['--embedded', '--keep-db'],
  },
];

const sections: string[] = [];
for (const run of runs) {
  process.stderr.write(`\n== ${run.title}\n`);
  const started = Date.now();
  const result = spawnSync(process.execPath, [run.script, ...run.args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 30 * 60_000 });
  const secs = Math.round((Date.now() - started) / 1000);
  const body = result.status === 0 ? result.stdout.trim() : `_Did not finish (exit ${result.status ?? result.signal}); see the console output._`;
  const command = `npm run ${run.script.replace('bench/', 'bench:').replace('.ts', '')}${run.args.length ? ` -- ${run.args.join(' ')}` : ''}`;
  sections.push(`### ${run.title}\n\n\`${command}\` — ${secs} s\n\n${body}`);
}

const header = [
  `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} cores (${cpus()[0]?.model.trim()}), ${Math.round(totalmem() / 2 ** 30)} GiB,`,
  `Node ${process.version}. Server, databases and load generator share the machine: compare each row with its same-run baseline.`,
].join(' ');
const report = `${header}\n\n${sections.join('\n\n')}\n`;
writeFileSync('bench/RESULTS.md', `# Benchmark results\n\n${report}`);

// The README gets one table: the summary rows every benchmark leaves at the end of its report.
type Row = { benchmark: string; hub: string; baseline: string; ratio: string };
const rows: Row[] = [...report.matchAll(/<!-- summary (\{.*\}) -->/g)].map((m) => JSON.parse(m[1]) as Row);
const failed = runs.filter((_, i) => sections[i].includes('_Did not finish'));
const esc = (t: string) => t.replace(/\|/g, '\\|');
const table = [
  '| benchmark | hub | same-run baseline | ratio |',
  '|---|---|---|---|',
  ...rows.map((r) => `| ${esc(r.benchmark)} | ${esc(r.hub)} | ${esc(r.baseline)} | ${esc(r.ratio)} |`),
  ...failed.map((r) => `| ${esc(r.title)} | did not finish | | |`),
].join('\n');
const section = `${header} Full reports, with the notes on how each number is taken: [bench/RESULTS.md](bench/RESULTS.md).\n\n${table}\n`;
const readme = readFileSync('README.md', 'utf8');
if (readme.includes('<!-- bench:start -->')) {
  writeFileSync('README.md', readme.replace(/<!-- bench:start -->[\s\S]*<!-- bench:end -->/, `<!-- bench:start -->\n${section}<!-- bench:end -->`));
}
process.stderr.write('\nwrote bench/RESULTS.md and the README section\n');
