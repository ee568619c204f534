import { jsonValue } from '../../infra/db.ts';
import { dateOnly, isoTimestamp as iso, isoOrNull } from '../../infra/time.ts';
import type { Status } from './attendance.entity.ts';
import type { Interval } from './day.rules.ts';

/** An attendance row as the database returns it. */
export type RecordRow = {
  record_id: number;
  employee_id: number;
  team_id: number | null;
  attendance_date: string | Date;
  status: Status;
  check_in_time: string | Date | null;
  check_out_time: string | Date | null;
  notes: string | null;
  source: 'kiosk' | 'web' | 'api' | 'system';
  missing_check_out: boolean;
  created_at: string | Date;
  updated_at: string | Date;
  intervals: Interval[] | string;
  worked_minutes: number;
  break_minutes: number;
  overtime_minutes: number;
  weekly_overtime_minutes: number;
  planned_minutes: number | null;
  left_early: boolean;
  shift_start: string | Date | null;
  shift_end: string | Date | null;
  schedule_id: number | null;
  schedule_version: number | null;
  timezone: string | null;
  last_punch_at: string | Date | null;
  intervals_edited: boolean;
};

export const RECORD_COLUMNS =
  'record_id, employee_id, team_id, attendance_date, status, check_in_time, check_out_time, notes, source, missing_check_out, created_at, updated_at, ' +
  'intervals, worked_minutes, break_minutes, overtime_minutes, weekly_overtime_minutes, planned_minutes, left_early, shift_start, shift_end, ' +
  'schedule_id, schedule_version, timezone, last_punch_at, intervals_edited';

/** The intervals of a row (the driver may hand jsonb over as text). */
export const intervalsOf = (r: Pick<RecordRow, 'intervals'>): Interval[] => jsonValue<Interval[] | null>(r.intervals) ?? [];

const num = (n: number | string | null) => (n == null ? null : Number(n));

/** The public shape of an attendance record; `timezone` is the zone of its date and local times (TIMEZONE when unset). */
export const recordDto = (r: RecordRow, orgTimezone = 'UTC') => {
  // Interval times are stored as toISOString() wrote them: passed through as they are.
  const intervals = intervalsOf(r);
  return {
    record_id: Number(r.record_id),
    employee_id: Number(r.employee_id),
    team_id: r.team_id == null ? null : Number(r.team_id),
    attendance_date: dateOnly(r.attendance_date),
    timezone: r.timezone ?? orgTimezone,
    status: r.status,
    check_in_time: isoOrNull(r.check_in_time),
    check_out_time: isoOrNull(r.check_out_time),
    intervals,
    /** In now: the last interval is still open. */
    presence: (intervals.length && intervals[intervals.length - 1].check_out_time === null ? 'in' : 'out') as 'in' | 'out',
    worked_minutes: Number(r.worked_minutes ?? 0),
    break_minutes: Number(r.break_minutes ?? 0),
    overtime_minutes: Number(r.overtime_minutes ?? 0),
    weekly_overtime_minutes: Number(r.weekly_overtime_minutes ?? 0),
    planned_minutes: num(r.planned_minutes),
    left_early: Boolean(r.left_early),
    shift_start: isoOrNull(r.shift_start),
    shift_end: isoOrNull(r.shift_end),
    schedule_id: num(r.schedule_id),
    schedule_version: num(r.schedule_version),
    auto_closed: intervals.some((i) => i.auto_closed),
    notes: r.notes ?? null,
    source: r.source,
    missing_check_out: Boolean(r.missing_check_out),
    created_at: iso(r.created_at),
    updated_at: iso(r.updated_at),
  };
};

export type RecordDto = ReturnType<typeof recordDto>;

/** Notes without the "Missing check-out" the end-of-day rule added (null when nothing else is left). */
export const withoutMissingNote = (notes: string | null) => notes?.replace(/( · )?Missing check-out$/, '') || null;
