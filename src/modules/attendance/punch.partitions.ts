import { sqlOf, type Sql, type SqlDb } from '../../infra/db.ts';
import type { JobHandler } from '../../infra/jobs/types.ts';

/**
 * The monthly partitions of `punches` (migration 20261206090000): one per UTC month of `occurred_at`, named
 * `punches_yYYYYmMM`, and `punches_default` for a punch whose month has none yet. Everything here is idempotent and
 * serialised across processes by an advisory lock, so two workers (or a worker and a seed) may run it at once.
 */

/** Months after the current one that always have their partition, so a punch never waits for one to be made. */
export const MONTHS_AHEAD = 3;
/** The `pg_advisory_xact_lock` key of partition maintenance. */
const LOCK_KEY = 20261206;
/** Rows of `punch_keys` deleted per statement when a month goes. */
const KEY_BATCH = 10_000;

/** The first instant of the UTC month of `at`, moved by `months`. */
export const monthStart = (at: Date, months = 0) => new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + months, 1));

/** The partition of the month that starts at `month` (`punches_y2026m12`). */
export const partitionName = (month: Date) => `punches_y${String(month.getUTCFullYear()).padStart(4, '0')}m${String(month.getUTCMonth() + 1).padStart(2, '0')}`;

const monthOfName = (name: string) => {
  const m = /^punches_y(\d{4})m(\d{2})$/.exec(name);
  return m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1)) : null;
};

/** A bound in DDL, which takes no parameters (always a month start computed here, never user input). */
const bound = (at: Date) => `'${at.toISOString()}'`;

/** The monthly partitions there are, by month. */
async function monthly(tx: Sql): Promise<Map<string, Date>> {
  const rows = await tx.query<{ name: string }>(
    `select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'punches'::regclass`,
  );
  return new Map(rows.flatMap(({ name }) => {
    const month = monthOfName(name);
    return month ? [[name, month] as const] : [];
  }));
}

/**
 * Takes the maintenance lock for this transaction (another run waits for it, however long). Then a partition change
 * waits at most 2 s for the punches in flight: a detach holds the new ones back meanwhile. Past that it fails, and the
 * next run tries again.
 */
async function lock(tx: Sql) {
  await tx.query('select pg_advisory_xact_lock($1)', [LOCK_KEY]);
  await tx.query(`set local lock_timeout = '2s'`);
}

/**
 * Makes the partition of `month`, moving into it the punches the default partition took for that month meanwhile
 * (a partition cannot be made over rows the default holds). Made apart and attached, which takes a lighter lock on
 * `punches` than creating it in place: punches keep coming in meanwhile. Returns the punches moved.
 */
async function create(tx: Sql, month: Date): Promise<number> {
  const name = partitionName(month);
  const [from, to] = [month, monthStart(month, 1)];
  await tx.query(`create table "${name}" (like punches including defaults including constraints)`);
  const [moved] = await tx.query<{ n: string }>(
    `with moved as (delete from punches_default where occurred_at >= $1 and occurred_at < $2 returning *),
          put as (insert into "${name}" select * from moved returning 1)
     select count(*) as n from put`,
    [from.toISOString(), to.toISOString()],
  );
  await tx.query(`alter table punches attach partition "${name}" for values from (${bound(from)}) to (${bound(to)})`);
  return Number(moved.n);
}

export type PartitionsReport = { created: string[]; adopted: number; dropped: string[]; pruned_keys: number };

export const punchPartitions = {
  /**
   * A partition for every month from `from` to `to` and for every month the default partition holds punches of
   * (not before `notBefore`, which retention is about to remove). Returns what it made and the punches it moved.
   */
  async ensure(sql: SqlDb, q: { from: Date; to: Date; notBefore?: Date | null }): Promise<{ created: string[]; adopted: number }> {
    return sql.transaction(async (tx) => {
      await lock(tx);
      const existing = await monthly(tx);
      const wanted = new Map<string, Date>();
      for (let m = monthStart(q.from); m <= q.to; m = monthStart(m, 1)) wanted.set(partitionName(m), m);
      const strays = await tx.query<{ month: string }>(`select distinct to_char(occurred_at at time zone 'UTC', 'YYYY-MM') as month from punches_default`);
      for (const { month } of strays) {
        const m = new Date(`${month}-01T00:00:00Z`);
        if (!q.notBefore || m >= q.notBefore) wanted.set(partitionName(m), m);
      }
      const created: string[] = [];
      let adopted = 0;
      for (const [name, month] of [...wanted].sort((a, b) => a[1].getTime() - b[1].getTime())) {
        if (existing.has(name)) continue;
        adopted += await create(tx, month);
        created.push(name);
      }
      return { created, adopted };
    });
  },

  /**
   * Drops the months before `cutoff` whole (detached, then dropped: no row is deleted one by one), the default
   * partition's punches before it, and then their keys in `punch_keys`. The keys go in a later transaction of their
   * own, in batches: a key whose punch is gone is older than any punch accepted (PUNCH_RETENTION_MONTHS covers
   * PUNCH_MAX_AGE_HOURS), so no retry can reach it meanwhile.
   */
  async drop(sql: SqlDb, cutoff: Date): Promise<{ dropped: string[]; pruned_keys: number }> {
    const dropped = await sql.transaction(async (tx) => {
      await lock(tx);
      const gone: string[] = [];
      for (const [name, month] of await monthly(tx)) {
        if (monthStart(month, 1) > cutoff) continue;
        await tx.query(`alter table punches detach partition "${name}"`);
        await tx.query(`drop table "${name}"`);
        gone.push(name);
      }
      await tx.query('delete from punches_default where occurred_at < $1', [cutoff.toISOString()]);
      return gone.sort();
    });
    let pruned = 0;
    for (;;) {
      const [row] = await sql.query<{ n: string }>(
        `with gone as (
           delete from punch_keys where client_event_id in (select client_event_id from punch_keys where occurred_at < $1 limit ${KEY_BATCH}) returning 1)
         select count(*) as n from gone`,
        [cutoff.toISOString()],
      );
      pruned += Number(row.n);
      if (Number(row.n) < KEY_BATCH) break;
    }
    return { dropped, pruned_keys: pruned };
  },

  /**
   * The maintenance run: partitions from the oldest month a punch may still arrive for to MONTHS_AHEAD months ahead,
   * strays in the default partition moved to their month, and with `retentionMonths` (0: keep everything) the months
   * before the last `retentionMonths` full ones dropped.
   */
  async maintain(sql: SqlDb, q: { now: Date; retentionMonths: number; maxAgeHours: number }): Promise<PartitionsReport> {
    const cutoff = q.retentionMonths > 0 ? monthStart(q.now, -q.retentionMonths) : null;
    const made = await punchPartitions.ensure(sql, {
      from: new Date(q.now.getTime() - q.maxAgeHours * 3_600_000),
      to: monthStart(q.now, MONTHS_AHEAD),
      notBefore: cutoff,
    });
    const gone = cutoff ? await punchPartitions.drop(sql, cutoff) : { dropped: [], pruned_keys: 0 };
    return { ...made, ...gone };
  },
};

/**
 * `attendance:partition-punches` (daily): the partitions of the coming months, strays moved out of the default
 * partition, and PUNCH_RETENTION_MONTHS applied. Attendance records are never touched: only raw punches go.
 */
export const partitionPunchesJob: JobHandler = async (_data, ctx) =>
  punchPartitions.maintain(sqlOf(ctx.em), { now: new Date(), retentionMonths: ctx.config.punch.retentionMonths, maxAgeHours: ctx.config.punch.maxAgeHours });
