// The scratch database (seeded once, or reused with --keep-db) and the queries picked from its data.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { Filter } from '../history-sql.ts';
import {
  adminQuery,
  dbUrl,
  hubEnv,
  int,
  isFinishing,
  onCleanup,
  progress,
  retryTransient,
  run,
  RUN_ID,
  scratchDatabase,
  transientPgError,
} from '../../harness/index.ts';
import { DAYS, EMPLOYEES, KEEP_DB, PG_URL, QUERY_KEYS, SEED_TIMEOUT_MS } from './options.ts';

export type SeedInfo = {
  reused: boolean;
  wallSeconds: number;
  seederLine: string;
  seederRowsPerSecond: number | null;
  records: number;
  employees: number;
  seededAt: string;
  vacuumSeconds: number;
};

/** What --keep-db leaves on the database (as its comment), to recognise a complete seeding later. */
export type Marker = { employees: number; days: number; records: number; seeded_at: string; wall_s: number; seeder_line: string; seeder_rows_per_s: number | null };

export async function counts(url: string) {
  const [row] = await adminQuery<{ records: string; employees: string }>(
    url,
    "select (select count(*) from attendance) as records, (select count(*) from employees where access <> 'admin') as employees",
    [],
    300_000,
  );
  return { records: Number(row.records), employees: Number(row.employees) };
}

export async function reusable(name: string): Promise<(Marker & { url: string }) | null> {
  const [row] = await adminQuery<{ comment: string | null }>(PG_URL, "select shobj_description(oid, 'pg_database') as comment from pg_database where datname = $1", [name]);
  if (!row) return null;
  let marker: Marker | null = null;
  try {
    marker = row.comment ? (JSON.parse(row.comment) as Marker) : null;
  } catch {
    marker = null;
  }
  const url = dbUrl(PG_URL, name);
  if (!marker || marker.employees !== EMPLOYEES || marker.days !== DAYS) {
    progress(`database ${name} exists but was not completely seeded by this benchmark; seeding it again`);
    return null;
  }
  const now = await counts(url);
  if (now.records !== marker.records || now.employees !== marker.employees) {
    progress(`database ${name}: ${int(now.records)} records / ${int(now.employees)} employees, expected ${int(marker.records)} / ${int(marker.employees)}; seeding it again`);
    return null;
  }
  return { ...marker, url };
}

export async function prepareDatabase(): Promise<{ url: string; name: string; seed: SeedInfo }> {
  const name = KEEP_DB ? `bench_history_${EMPLOYEES}_${DAYS}` : `bench_history_${RUN_ID}`;
  const vacuum = async (url: string) => {
    progress(`${name}: VACUUM ANALYZE`);
    const t0 = performance.now();
    await adminQuery(url, 'vacuum analyze', [], 1800_000);
    return (performance.now() - t0) / 1000;
  };
  if (KEEP_DB) {
    const kept = await reusable(name);
    if (kept) {
      progress(`reusing ${name}: ${int(kept.records)} attendance records, ${int(kept.employees)} employees (seeded ${kept.seeded_at})`);
      const vacuumSeconds = await vacuum(kept.url);
      return {
        url: kept.url,
        name,
        seed: {
          reused: true,
          wallSeconds: kept.wall_s,
          seederLine: kept.seeder_line,
          seederRowsPerSecond: kept.seeder_rows_per_s,
          records: kept.records,
          employees: kept.employees,
          seededAt: kept.seeded_at,
          vacuumSeconds,
        },
      };
    }
  }
  let url: string;
  let complete = false;
  if (KEEP_DB) {
    await adminQuery(PG_URL, `drop database if exists "${name}" with (force)`);
    await adminQuery(PG_URL, `create database "${name}"`);
    url = dbUrl(PG_URL, name);
    // Kept only once complete: a seeding cut short is dropped.
    onCleanup(`drop incomplete database ${name}`, async () => {
      if (complete) return;
      await retryTransient(() => adminQuery(PG_URL, `drop database if exists "${name}" with (force)`), 25_000, `drop database ${name}`);
      progress(`dropped incomplete database ${name}`);
    });
  } else {
    url = (await scratchDatabase(PG_URL, name)).url;
  }

  // Exactly `npm run db:seed -- --employees N --days D --reset --no-punches` with DATABASE_URL set to this database.
  const argv = ['src/cli/seed.ts', '--employees', String(EMPLOYEES), '--days', String(DAYS), '--reset', '--no-punches'];
  progress(`${name}: seeding (db:seed ${argv.slice(1).join(' ')}); this takes a while`);
  const data = mkdtempSync(join(os.tmpdir(), 'checkin-bench-history-seed-'));
  let lastBar = '';
  const ticker = setInterval(() => lastBar && progress(`seeding: ${lastBar}`), 15_000);
  let t0 = performance.now();
  let stdout: string;
  try {
    // The seeder starts over with --reset, so a seeding cut short by a PostgreSQL restart (other work on this
    // machine restarts it) is simply run again, twice at most.
    for (let attempt = 1; ; attempt++) {
      t0 = performance.now();
      try {
        ({ stdout } = await run(process.execPath, argv, {
          env: hubEnv({ DATABASE_URL: url, DATA_DIR: data, SEED_DEMO: 'false', LOG_LEVEL: 'warn' }),
          timeoutMs: SEED_TIMEOUT_MS,
          onStderr: (chunk) => {
            const parts = chunk.split('\r').map((s) => s.trim()).filter(Boolean);
            if (parts.length) lastBar = parts[parts.length - 1];
          },
        }));
        break;
      } catch (error) {
        if (attempt >= 3 || isFinishing() || !transientPgError(error)) throw error;
        progress(`seeding attempt ${attempt} failed: PostgreSQL went away (restarted?); waiting for it, then seeding again from the start`);
        await retryTransient(() => adminQuery(url, 'select 1'), 180_000, 'waiting for PostgreSQL');
      }
    }
  } finally {
    clearInterval(ticker);
    rmSync(data, { recursive: true, force: true });
  }
  const wallSeconds = (performance.now() - t0) / 1000;
  const seederLine = stdout.split('\n').find((l) => l.startsWith('Seeded')) ?? '(no "Seeded" line)';
  const rate = /\(([\d,]+) rows\/s\)/.exec(seederLine)?.[1];
  const seederRowsPerSecond = rate ? Number(rate.replace(/,/g, '')) : null;
  progress(`${name}: ${seederLine} (wall time with start-up and migrations: ${wallSeconds.toFixed(1)} s)`);
  const vacuumSeconds = await vacuum(url);
  const now = await counts(url);
  const seededAt = new Date().toISOString();
  if (KEEP_DB) {
    const marker: Marker = {
      employees: EMPLOYEES,
      days: DAYS,
      records: now.records,
      seeded_at: seededAt,
      wall_s: Math.round(wallSeconds * 10) / 10,
      seeder_line: seederLine,
      seeder_rows_per_s: seederRowsPerSecond,
    };
    await adminQuery(PG_URL, `comment on database "${name}" is '${JSON.stringify(marker).replace(/'/g, "''")}'`);
    complete = true;
    progress(`${name}: kept (--keep-db); the next run with the same --employees/--days reuses it`);
  }
  return {
    url,
    name,
    seed: { reused: false, wallSeconds, seederLine, seederRowsPerSecond, records: now.records, employees: now.employees, seededAt, vacuumSeconds },
  };
}

// The queries: parameters picked from the data

export type HttpQuery = {
  key: 'team' | 'employee' | 'late';
  label: string;
  path: string;
  filter: Filter;
  /** Why these parameters. */
  detail: string;
};

/** A query on the benchmark's data: `$n` placeholders, rows back. */
export type QueryFn = <T extends Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<T[]>;

export async function pickQueries(query: QueryFn): Promise<HttpQuery[]> {
  const [{ today }] = await query<{ today: string }>("select to_char(current_date, 'YYYY-MM-DD') as today");
  const out: HttpQuery[] = [];
  if (QUERY_KEYS.includes('team')) {
    // The latest complete month in which a team has over 1,000 records (else the largest team-month there is).
    const pick = async (complete: boolean) =>
      (
        await query<{ team_id: number; first: string; last: string; n: string }>(
          `select team_id, to_char(m, 'YYYY-MM-DD') as first, to_char(m + interval '1 month' - interval '1 day', 'YYYY-MM-DD') as last, n
             from (select team_id, date_trunc('month', attendance_date)::date as m, count(*) as n
                     from attendance ${complete ? "where attendance_date < date_trunc('month', current_date)" : ''} group by 1, 2) x
            ${complete ? 'where n > 1000 order by m desc, team_id' : 'order by n desc, m desc, team_id'} limit 1`,
        )
      )[0];
    const row = (await pick(true)) ?? (await pick(false));
    if (!row) throw new Error('no attendance records to pick a team-month from');
    if (Number(row.n) <= 1000) progress(`warning: no team has more than 1,000 records in a month; using the largest team-month (${row.n} rows)`);
    const filter: Filter = { skip: 0, limit: 1000, date_from: row.first, date_to: row.last, team_id: row.team_id };
    out.push({
      key: 'team',
      label: `team month (limit 1000)`,
      path: `/attendance/team/${row.team_id}?date_from=${row.first}&date_to=${row.last}&limit=1000`,
      filter,
      detail: `team ${row.team_id}, ${row.first}…${row.last}: ${int(Number(row.n))} records in the month`,
    });
  }
  if (QUERY_KEYS.includes('employee')) {
    const [{ n }] = await query<{ n: string }>("select count(*) as n from employees where access <> 'admin'");
    const [emp] = await query<{ employee_id: number }>("select employee_id from employees where access = 'employee' and active order by employee_id offset $1 limit 1", [
      Math.floor(Number(n) / 2),
    ]);
    if (!emp) throw new Error('no employee to pick');
    const [{ from }] = await query<{ from: string }>("select to_char(current_date - 364, 'YYYY-MM-DD') as from");
    const [{ rows }] = await query<{ rows: string }>('select count(*) as rows from attendance where employee_id = $1 and attendance_date between $2 and $3', [
      emp.employee_id,
      from,
      today,
    ]);
    out.push({
      key: 'employee',
      label: 'employee year (limit 1000)',
      path: `/attendance/employee/${emp.employee_id}?date_from=${from}&date_to=${today}&limit=1000`,
      filter: { skip: 0, limit: 1000, date_from: from, date_to: today, employee_id: emp.employee_id },
      detail: `employee ${emp.employee_id}, ${from}…${today}: ${int(Number(rows))} records`,
    });
  }
  if (QUERY_KEYS.includes('late')) {
    const [day] = await query<{ d: string; n: string }>(
      "select to_char(attendance_date, 'YYYY-MM-DD') as d, count(*) as n from attendance where status = 'Late' and attendance_date < current_date group by attendance_date order by attendance_date desc limit 1",
    );
    if (!day) throw new Error('no Late record to pick a day from');
    out.push({
      key: 'late',
      label: 'one day, status=Late (limit 100)',
      path: `/attendance/?date_from=${day.d}&date_to=${day.d}&status=Late&limit=100`,
      filter: { skip: 0, limit: 100, date_from: day.d, date_to: day.d, status: 'Late' },
      detail: `${day.d} (the latest past day with Late records): ${int(Number(day.n))} Late records`,
    });
  }
  return out;
}
