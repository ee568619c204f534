/**
 * Where a member stands on a live board, as a pure function of their day's record, the moments of their day's plan
 * and the time: one state each, so the counts add up to the team. The board page runs this very file (served with
 * its types stripped at /static/board-rules.js) on the changes it receives, so it imports nothing at run time.
 */

export const BOARD_STATES = ['not_in_yet', 'overdue', 'in', 'out', 'done', 'on_leave', 'remote', 'absent', 'off'] as const;
export type BoardState = (typeof BOARD_STATES)[number];

type DayRecord = { status: string | null; intervals: readonly { check_in_time: string; check_out_time: string | null }[] } | null;

/** What the rule needs of a day's plan: expected at all, the moment after which someone not in is overdue (shift start + grace), the shift's end. */
export type BoardPlan = { expected: boolean; late_after: Date | null; end: Date | null };

/**
 * - on_leave, remote, absent: the record says so (absent: marked when the day was closed, or by hand);
 * - in: the last stay is open; out: out for now (a break), or gone before the shift's end; done: out after the
 *   shift's end (or out on a day without a shift);
 * - no stay yet: off when not expected today, not_in_yet until shift start + grace, overdue after.
 */
export function boardState(record: DayRecord, plan: BoardPlan, now: Date): BoardState {
  if (record?.status === 'On Leave') return 'on_leave';
  if (record?.status === 'Remote') return 'remote';
  const intervals = record?.intervals ?? [];
  if (!intervals.length) {
    if (record?.status === 'Absent') return 'absent';
    if (!plan.expected) return 'off';
    return plan.late_after && now > plan.late_after ? 'overdue' : 'not_in_yet';
  }
  const last = intervals[intervals.length - 1];
  if (last.check_out_time === null) return 'in';
  if (!plan.end || Date.parse(last.check_out_time) >= plan.end.getTime()) return 'done';
  return 'out';
}
