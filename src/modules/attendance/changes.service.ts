import type { Ctx } from '../../infra/context.ts';
import { sqlOf } from '../../infra/db.ts';
import { AppError } from '../../infra/errors.ts';
import type { JobHandler } from '../../infra/jobs/types.ts';
import { recordDto, type RecordDto, type RecordRow } from './attendance.records.ts';
import type { ChangeOp } from './change.entity.ts';
import { attendanceChanges, type FeedPosition } from './changes.repository.ts';

/** The position before every change: where a reader without a cursor starts. */
export const FEED_START: FeedPosition = { xid: 0n, change_id: 0n };
const MAX_XID = 2n ** 64n - 1n;
const MAX_CHANGE_ID = 2n ** 63n - 1n;

/** The opaque cursor of a position: base64url of `xid.change_id`. */
export const encodeCursor = (p: FeedPosition) => Buffer.from(`${p.xid}.${p.change_id}`).toString('base64url');

/** The position a cursor names, or null for anything `encodeCursor` did not write (checked by encoding it back). */
export function decodeCursor(cursor: string): FeedPosition | null {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(cursor)) return null;
  const match = /^(\d{1,20})\.(\d{1,19})$/.exec(Buffer.from(cursor, 'base64url').toString('latin1'));
  if (!match) return null;
  const position = { xid: BigInt(match[1]), change_id: BigInt(match[2]) };
  if (position.xid > MAX_XID || position.change_id > MAX_CHANGE_ID) return null;
  return encodeCursor(position) === cursor ? position : null;
}

const before = (a: FeedPosition, b: FeedPosition) => a.xid < b.xid || (a.xid === b.xid && a.change_id < b.change_id);

export type ChangeDto = { change_id: number; op: ChangeOp; record_id: number; record?: RecordDto };

/**
 * A page of the change feed after `cursor` (from the oldest change kept without one), and the cursor to ask with
 * next: the same one back when nothing new is settled yet. A cursor from before the newest change pruned may have
 * missed one: 410 `cursor_expired`.
 */
export async function listChanges(ctx: Ctx, q: { cursor?: FeedPosition; limit: number }): Promise<{ changes: ChangeDto[]; next_cursor: string }> {
  const sql = sqlOf(ctx.em);
  const after = q.cursor ?? FEED_START;
  const rows = await attendanceChanges.page(sql, after, q.limit);
  // Checked after the page is read: a prune in between answers 410 rather than hand over a page with a hole before it.
  if (q.cursor) {
    const pruned = await attendanceChanges.pruned(sql);
    if (pruned && before(q.cursor, pruned)) {
      throw new AppError(410, 'cursor_expired', `This cursor is older than the ${ctx.config.jobs.changeFeedRetentionDays} days of changes kept: read the records again (GET /attendance/) and start over without a cursor`);
    }
  }
  const changes = rows.map((r): ChangeDto => {
    const change: ChangeDto = { change_id: Number(r.change_id), op: r.op, record_id: Number(r.changed_record_id) };
    if (r.op !== 'delete' && r.record_id != null) change.record = recordDto(r as RecordRow, ctx.config.timezone);
    return change;
  });
  const last = rows[rows.length - 1];
  return { changes, next_cursor: encodeCursor(last ? { xid: BigInt(last.xid), change_id: BigInt(last.change_id) } : after) };
}

/** The scheduled prune of the change feed: changes older than CHANGE_FEED_RETENTION_DAYS. */
export const pruneChangesJob: JobHandler = async (_data, ctx) => ({
  pruned: await attendanceChanges.prune(sqlOf(ctx.em), ctx.config.jobs.changeFeedRetentionDays),
});
