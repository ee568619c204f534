import type { Sql } from '../../infra/db.ts';
import { RECORD_COLUMNS, type RecordRow } from './attendance.records.ts';
import type { ChangeOp } from './change.entity.ts';

/** Every statement on `attendance_changes` (rows written by the trigger on `attendance`, never by this code). */

/** A position in the feed: the (transaction id, change id) of the last change read. `0.0` is before everything. */
export type FeedPosition = { xid: bigint; change_id: bigint };

export type ChangeRow = { change_id: string; op: ChangeOp; xid: string; changed_record_id: number } & ({ [K in keyof RecordRow]: RecordRow[K] | null });

/**
 * Only transactions older than every one still running: none of them can still add a change, so no change will
 * ever appear below a position once it has been handed out (ids from the sequence are not in commit order).
 */
const SETTLED = 'xid < pg_snapshot_xmin(pg_current_snapshot())';

export const attendanceChanges = {
  /** The settled changes after `after`, in (xid, change_id) order, each with its record as it is now (null once deleted). */
  async page(sql: Sql, after: FeedPosition, limit: number): Promise<ChangeRow[]> {
    return sql.query<ChangeRow>(
      `with page as (
         select change_id, op, xid, record_id from attendance_changes
          where ${SETTLED} and (xid, change_id) > ($1::xid8, $2::bigint)
          order by xid, change_id limit $3)
       select p.change_id::text as change_id, p.op, p.xid::text as xid, p.record_id as changed_record_id,
              ${RECORD_COLUMNS.split(', ').map((c) => `a.${c}`).join(', ')}
         from page p left join attendance a on a.record_id = p.record_id
        order by p.xid, p.change_id`,
      [after.xid.toString(), after.change_id.toString(), limit],
    );
  },

  /** The newest change the retention pruned, or null while none was. */
  async pruned(sql: Sql): Promise<FeedPosition | null> {
    const [row] = await sql.query<{ xid: string; change_id: string }>('select xid::text as xid, change_id::text as change_id from attendance_changes_pruned where id = 1');
    return row ? { xid: BigInt(row.xid), change_id: BigInt(row.change_id) } : null;
  },

  /**
   * Drops the settled changes older than `days`, and every change before the newest of them (transaction ids and
   * times do not run quite in step), and remembers that newest one: a cursor before it may have missed a change.
   */
  async prune(sql: Sql, days: number): Promise<number> {
    const rows = await sql.query<{ n: string }>(
      `with horizon as (
         select xid, change_id from attendance_changes
          where changed_at < now() - make_interval(days => $1::int) and ${SETTLED}
          order by xid desc, change_id desc limit 1),
       gone as (
         delete from attendance_changes c using horizon h where (c.xid, c.change_id) <= (h.xid, h.change_id) returning 1),
       mark as (
         insert into attendance_changes_pruned (id, xid, change_id, pruned_at) select 1, xid, change_id, now() from horizon
         on conflict (id) do update set xid = excluded.xid, change_id = excluded.change_id, pruned_at = excluded.pruned_at
          where (attendance_changes_pruned.xid, attendance_changes_pruned.change_id) < (excluded.xid, excluded.change_id))
       select count(*) as n from gone`,
      [days],
    );
    return Number(rows[0]?.n ?? 0);
  },
};
