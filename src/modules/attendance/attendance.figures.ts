import { dateOnly, isoTimestamp } from '../../infra/time.ts';
import type { Sql } from '../../infra/db.ts';
import { addDays } from '../../infra/time.ts';
import { mondayOf, type DayPlan } from '../schedules/index.ts';
import type { Status } from './attendance.entity.ts';
import { intervalsOf, type RecordRow } from './attendance.records.ts';
import { attendance, type RecordFigures } from './attendance.repository.ts';
import { figures, isIn, weeklyOvertime, type Interval } from './day.rules.ts';
import type { Planning } from './planning.ts';

/**
 * A record's stored figures from its intervals and its day's plan, outside the punch path (a correction, the end of
 * the day, a recompute). `status`: the one to keep (a correction that sets it, a leave); else Present or Late
 * follow the first arrival, as for punches.
 */
export function recordFigures(q: {
  intervals: Interval[];
  plan: DayPlan;
  current: Status | null;
  status?: Status;
  notes: string | null;
  missing_check_out: boolean;
  intervals_edited: boolean;
  weekly_overtime_minutes: number;
}): RecordFigures {
  const fig = figures(q.intervals, q.plan, q.current);
  return {
    ...fig,
    status: q.status ?? fig.status,
    intervals: q.intervals,
    weekly_overtime_minutes: q.weekly_overtime_minutes,
    shift_start: q.plan.holiday === null ? q.plan.start : null,
    shift_end: q.plan.holiday === null ? q.plan.end : null,
    schedule_id: q.plan.schedule_id,
    schedule_version: q.plan.schedule_version,
    timezone: q.plan.tz,
    missing_check_out: q.missing_check_out && isIn(q.intervals),
    notes: q.notes,
    intervals_edited: q.intervals_edited,
  };
}

/** A stored row's figures recomputed against a (new) plan, its intervals and hand-set status unchanged. */
export function refigured(row: RecordRow, plan: DayPlan): RecordFigures {
  const kept: Status | undefined = row.status === 'Present' || row.status === 'Late' || row.status === 'Absent' ? undefined : row.status;
  return recordFigures({
    intervals: intervalsOf(row),
    plan,
    current: row.status,
    status: kept ?? (intervalsOf(row).length ? undefined : row.status),
    notes: row.notes,
    missing_check_out: Boolean(row.missing_check_out),
    intervals_edited: Boolean(row.intervals_edited),
    weekly_overtime_minutes: Number(row.weekly_overtime_minutes ?? 0),
  });
}

const TIMES = new Set(['check_in_time', 'check_out_time', 'shift_start', 'shift_end']);
/** Intervals compared by their times (jsonb does not keep the keys' order). */
const intervalKey = (list: readonly Interval[]) => list.map((i) => `${i.check_in_time}|${i.check_out_time ?? ''}|${i.auto_closed ? 1 : 0}`).join(',');

function same(key: string, a: unknown, b: unknown): boolean {
  if (a == null || b == null) return a == null && b == null;
  if (TIMES.has(key)) return isoTimestamp(a as string | Date) === isoTimestamp(b as string | Date);
  if (key === 'intervals') return intervalKey(a as Interval[]) === intervalKey(b as Interval[]);
  return String(a) === String(b);
}

/** Whether new figures differ from a stored row's. */
export function figuresDiffer(row: RecordRow, next: RecordFigures): boolean {
  for (const [key, value] of Object.entries(next)) {
    const stored = key === 'intervals' ? intervalsOf(row) : row[key as keyof RecordRow];
    if (!same(key, value, stored)) return true;
  }
  return false;
}

/**
 * Each record's share of weekly overtime, for one person's records in date order from the Monday of the first one's
 * week (earlier days of a week count towards its limit).
 */
export function weeklyShares(rows: readonly Pick<RecordRow, 'record_id' | 'attendance_date' | 'worked_minutes'>[], limitMinutes: number): Map<number, number> {
  const shares = new Map<number, number>();
  let week = '';
  let before = 0;
  for (const r of rows) {
    const monday = mondayOf(dateOnly(r.attendance_date));
    if (monday !== week) {
      week = monday;
      before = 0;
    }
    shares.set(Number(r.record_id), weeklyOvertime(before, Number(r.worked_minutes), limitMinutes));
    before += Number(r.worked_minutes);
  }
  return shares;
}

/** The figures of a stored row, as the statements write them. */
export const figuresOf = (r: RecordRow): RecordFigures => ({
  status: r.status,
  check_in_time: r.check_in_time,
  check_out_time: r.check_out_time,
  intervals: intervalsOf(r),
  worked_minutes: Number(r.worked_minutes),
  break_minutes: Number(r.break_minutes),
  overtime_minutes: Number(r.overtime_minutes),
  weekly_overtime_minutes: Number(r.weekly_overtime_minutes),
  planned_minutes: r.planned_minutes == null ? null : Number(r.planned_minutes),
  left_early: Boolean(r.left_early),
  shift_start: r.shift_start,
  shift_end: r.shift_end,
  schedule_id: r.schedule_id == null ? null : Number(r.schedule_id),
  schedule_version: r.schedule_version == null ? null : Number(r.schedule_version),
  timezone: r.timezone,
  missing_check_out: Boolean(r.missing_check_out),
  notes: r.notes,
  intervals_edited: Boolean(r.intervals_edited),
});

/**
 * Brings the weekly overtime of the weeks of these records up to date (their minutes worked changed): each person's
 * records of those ISO weeks are read and the shares that moved are rewritten. Returns the rows rewritten.
 */
export async function refreshWeeks(tx: Sql, planning: Pick<Planning, 'team'>, changed: readonly Pick<RecordRow, 'employee_id' | 'team_id' | 'attendance_date'>[]): Promise<RecordRow[]> {
  if (!changed.length) return [];
  const weeks = new Map<number, { team_id: number | null; from: string; to: string }>();
  for (const r of changed) {
    const id = Number(r.employee_id);
    const monday = mondayOf(dateOnly(r.attendance_date));
    const sunday = addDays(monday, 6);
    const w = weeks.get(id);
    weeks.set(id, { team_id: r.team_id == null ? null : Number(r.team_id), from: w && w.from < monday ? w.from : monday, to: w && w.to > sunday ? w.to : sunday });
  }
  const from = [...weeks.values()].reduce((m, w) => (w.from < m ? w.from : m), '9999-12-31');
  const to = [...weeks.values()].reduce((m, w) => (w.to > m ? w.to : m), '0000-01-01');
  const rows = await attendance.ofPeople(tx, [...weeks.keys()], from, to);
  const moves: { record_id: number; weekly_overtime_minutes: number }[] = [];
  for (const [id, w] of weeks) {
    const own = rows.filter((r) => Number(r.employee_id) === id && dateOnly(r.attendance_date) >= w.from && dateOnly(r.attendance_date) <= w.to);
    const limit = (planning.team(w.team_id)?.weekly_hours ?? 40) * 60;
    for (const [recordId, share] of weeklyShares(own, limit)) {
      const row = own.find((r) => Number(r.record_id) === recordId)!;
      if (Number(row.weekly_overtime_minutes) !== share) moves.push({ record_id: recordId, weekly_overtime_minutes: share });
    }
  }
  return attendance.setWeekly(tx, moves);
}
