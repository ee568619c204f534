// The embedded (PGlite) side of bench/history.ts -- --embedded: a DATA_DIR seeded exactly as `npm run db:seed --
// --employees N --days D --reset --no-punches` seeds it with no DATABASE_URL (timed), kept between runs with --keep-db,
// and a way to query it from the benchmark process while no hub has it open (PGlite is one process, one connection).
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/database.ts';
import { hubEnv, int, onCleanup, progress, run } from '../../harness/index.ts';

/** What --keep-db leaves next to a complete seeding (as DATA_DIR/bench-marker.json). */
export type EmbeddedMarker = {
  employees: number;
  days: number;
  records: number;
  seeded_at: string;
  wall_s: number;
  seeder_line: string;
  seeder_rows_per_s: number | null;
  vacuum_s: number;
};

export type EmbeddedData = { dataDir: string; reused: boolean; marker: EmbeddedMarker };

/**
 * A query function on the embedded database through the hub's own ORM setup (src/infra/db.ts), for picking the
 * queries and resetting the admin before the hub starts. `$n` placeholders, as on PostgreSQL. `close()` before any
 * other process opens the directory.
 */
export async function openEmbedded(dataDir: string) {
  const orm = await openDatabase({ database: null, dataDir, dbPoolMax: 1 });
  const query = async <T extends Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> => {
    const ordered: unknown[] = [];
    const text = sql.replace(/\$(\d+)/g, (_m, n: string) => (ordered.push(params[Number(n) - 1]), '?'));
    return orm.em.fork().execute<T[]>(text, ordered);
  };
  return { query, close: () => orm.close() };
}

function readMarker(dataDir: string): EmbeddedMarker | null {
  try {
    return JSON.parse(readFileSync(join(dataDir, 'bench-marker.json'), 'utf8')) as EmbeddedMarker;
  } catch {
    return null;
  }
}

/**
 * Seeds a PGlite DATA_DIR with the volume seeder (or, with `keep`, reuses the one a complete earlier run left at
 * $TMPDIR/bench_history_pglite_<employees>_<days>), then VACUUM ANALYZE, as the PostgreSQL side gets.
 */
export async function prepareEmbedded(opts: { employees: number; days: number; keep: boolean; timeoutMs: number }): Promise<EmbeddedData> {
  const name = opts.keep ? `bench_history_pglite_${opts.employees}_${opts.days}` : `bench_history_pglite_${process.pid}_${Date.now()}`;
  const dataDir = join(os.tmpdir(), name);
  if (opts.keep) {
    const marker = readMarker(dataDir);
    if (marker && marker.employees === opts.employees && marker.days === opts.days && existsSync(join(dataDir, 'pg'))) {
      progress(`reusing ${dataDir}: ${int(marker.records)} attendance records (seeded ${marker.seeded_at})`);
      return { dataDir, reused: true, marker };
    }
    if (existsSync(dataDir)) progress(`${dataDir} exists but was not completely seeded by this benchmark; seeding it again`);
  }
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  let complete = false;
  onCleanup(`remove ${opts.keep ? 'incomplete ' : ''}${dataDir}`, async () => {
    if (opts.keep && complete) return;
    rmSync(dataDir, { recursive: true, force: true });
  });

  // Exactly `npm run db:seed -- --employees N --days D --reset --no-punches` with DATA_DIR set and no DATABASE_URL.
  const argv = ['src/cli/seed.ts', '--employees', String(opts.employees), '--days', String(opts.days), '--reset', '--no-punches'];
  progress(`${dataDir}: seeding PGlite (db:seed ${argv.slice(1).join(' ')})`);
  let lastBar = '';
  const ticker = setInterval(() => lastBar && progress(`seeding PGlite: ${lastBar}`), 15_000);
  const t0 = performance.now();
  let stdout: string;
  try {
    ({ stdout } = await run(process.execPath, argv, {
      env: hubEnv({ DATA_DIR: dataDir, SEED_DEMO: 'false', LOG_LEVEL: 'warn' }),
      timeoutMs: opts.timeoutMs,
      onStderr: (chunk) => {
        const parts = chunk.split('\r').map((s) => s.trim()).filter(Boolean);
        if (parts.length) lastBar = parts[parts.length - 1];
      },
    }));
  } finally {
    clearInterval(ticker);
  }
  const wallSeconds = (performance.now() - t0) / 1000;
  const seederLine = stdout.split('\n').find((l) => l.startsWith('Seeded')) ?? '(no "Seeded" line)';
  const rate = /\(([\d,]+) rows\/s\)/.exec(seederLine)?.[1];
  progress(`${dataDir}: ${seederLine} (wall time with start-up and migrations: ${wallSeconds.toFixed(1)} s)`);

  const db = await openEmbedded(dataDir);
  let records: number;
  let vacuumSeconds: number;
  try {
    progress(`${dataDir}: VACUUM ANALYZE`);
    const v0 = performance.now();
    await db.query('vacuum analyze');
    vacuumSeconds = (performance.now() - v0) / 1000;
    records = Number((await db.query<{ n: string }>('select count(*) as n from attendance'))[0].n);
  } finally {
    await db.close();
  }
  const marker: EmbeddedMarker = {
    employees: opts.employees,
    days: opts.days,
    records,
    seeded_at: new Date().toISOString(),
    wall_s: Math.round(wallSeconds * 10) / 10,
    seeder_line: seederLine,
    seeder_rows_per_s: rate ? Number(rate.replace(/,/g, '')) : null,
    vacuum_s: Math.round(vacuumSeconds * 10) / 10,
  };
  if (opts.keep) {
    writeFileSync(join(dataDir, 'bench-marker.json'), `${JSON.stringify(marker)}\n`);
    progress(`${dataDir}: kept (--keep-db); the next --embedded run with the same --employees/--days reuses it`);
  }
  complete = true;
  return { dataDir, reused: false, marker };
}
