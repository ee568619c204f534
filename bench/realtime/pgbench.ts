// The baseline: PostgreSQL's own single-row INSERT transactions/s (pgbench), on the same machine in the same run, in a
// scratch database dropped afterwards; the hub's punches/s are read against it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { adminQuery, type Cpu, type CpuMark, cpuMark, cpuSince, onCleanup, progress, run, RUN_ID, scratchDatabase } from '../../harness/index.ts';
import { PG_URL, PGBENCH_CLIENTS, SECONDS } from './options.ts';

export type Pgbench = { tps: number; latencyMs: number; cpu: Cpu | null };

export async function runPgbench(): Promise<Pgbench> {
  const name = `bench_pgbench_${RUN_ID}`;
  progress(`pgbench: scratch database ${name}`);
  const db = await scratchDatabase(PG_URL, name);
  const dir = mkdtempSync(join(os.tmpdir(), 'checkin-bench-pgbench-'));
  const removeDir = onCleanup(`remove ${dir}`, async () => rmSync(dir, { recursive: true, force: true }));
  try {
    await adminQuery(db.url, 'create table bench_insert (id bigserial primary key, v integer not null, created_at timestamptz not null default now())');
    const script = join(dir, 'insert.sql');
    writeFileSync(script, '\\set v random(1, 1000000)\nINSERT INTO bench_insert (v) VALUES (:v);\n');
    const argv = [
      '-h', PG_URL.hostname, '-p', PG_URL.port || '5432', '-U', decodeURIComponent(PG_URL.username || 'postgres'),
      '-c', String(PGBENCH_CLIENTS), '-j', String(Math.min(2, PGBENCH_CLIENTS)), '-T', String(Math.ceil(SECONDS)), '-n', '-f', script, name,
    ];
    progress(`pgbench: ${argv.join(' ')}`);
    const env = { ...process.env, ...(PG_URL.password ? { PGPASSWORD: decodeURIComponent(PG_URL.password) } : {}) };
    // pgbench's server processes end with it, taking their CPU counters along: read them while it runs, from 1 s
    // in (connected) to 0.5 s before the end.
    let mark: CpuMark | null = null;
    let cpu: Cpu | null = null;
    const markTimer = setTimeout(() => (mark = cpuMark()), 1000);
    const cpuTimer = setTimeout(() => mark && (cpu = cpuSince(mark)), Math.ceil(SECONDS) * 1000 - 500);
    let stdout: string;
    try {
      ({ stdout } = await run('pgbench', argv, { env, timeoutMs: (Math.ceil(SECONDS) + 60) * 1000 }));
    } finally {
      clearTimeout(markTimer);
      clearTimeout(cpuTimer);
    }
    const tps = Number(/^tps = ([\d.]+)/m.exec(stdout)?.[1]);
    const latencyMs = Number(/^latency average = ([\d.]+) ms/m.exec(stdout)?.[1]);
    if (!Number.isFinite(tps)) throw new Error(`pgbench: no "tps =" line in its output:\n${stdout}`);
    progress(`pgbench: ${tps.toFixed(0)} tps, latency average ${latencyMs} ms`);
    return { tps, latencyMs, cpu };
  } finally {
    await removeDir();
    await db.drop();
  }
}
