import type { Em } from '../../infra/db.ts';
import { dateOnly, localParts, minutesOf } from '../../infra/time.ts';
import type { Status } from './attendance.entity.ts';

/** An attendance row as the database returns it (raw SQL or a hydrated entity flattened). */
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
};

export const RECORD_COLUMNS =
  'record_id, employee_id, team_id, attendance_date, status, check_in_time, check_out_time, notes, source, missing_check_out, created_at, updated_at';

/** PostgreSQL's text form of a timestamptz in a UTC session: '2026-12-01 08:17:00.482775+00' (0–6 fraction digits). */
const PG_UTC = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{1,6})?\+00$/;
/** Padding of a 1- or 2-digit fraction to milliseconds, by string length (24: '.4', 25: '.48'). */
const MS_PAD: Record<number, string> = { 24: '00', 25: '0' };

/**
 * The ISO form (toISOString) of a timestamp. PostgreSQL's UTC text is rewritten by slicing: parsing it through Date
 * was the largest CPU cost of the list endpoints (V8's legacy date parser, ~2 µs per value, four per record). Same
 * output: milliseconds truncated, as Date parsing does; anything else (other offsets, Dates) goes through Date.
 */
function iso(value: string | Date): string {
  if (typeof value === 'string' && PG_UTC.test(value)) {
    const n = value.length;
    const day = value.slice(0, 10);
    if (n === 22) return `${day}T${value.slice(11, 19)}.000Z`;
    if (n >= 26) return `${day}T${value.slice(11, 23)}Z`;
    return `${day}T${value.slice(11, n - 3)}${MS_PAD[n]}Z`;
  }
  return (value instanceof Date ? value : new Date(value)).toISOString();
}
const isoOrNull = (value: string | Date | null | undefined) => (value == null ? null : iso(value));

/** The public shape of an attendance record. */
export const recordDto = (r: RecordRow) => ({
  record_id: Number(r.record_id),
  employee_id: Number(r.employee_id),
  team_id: r.team_id == null ? null : Number(r.team_id),
  attendance_date: dateOnly(r.attendance_date),
  status: r.status,
  check_in_time: isoOrNull(r.check_in_time),
  check_out_time: isoOrNull(r.check_out_time),
  notes: r.notes ?? null,
  source: r.source,
  missing_check_out: Boolean(r.missing_check_out),
  created_at: iso(r.created_at),
  updated_at: iso(r.updated_at),
});

export type RecordDto = ReturnType<typeof recordDto>;

/** The schedule a lateness is measured against; employees without a team use the defaults. */
export type Schedule = { workday_start: string; grace_minutes: number };
export const DEFAULT_SCHEDULE: Schedule = { workday_start: '09:00', grace_minutes: 5 };

/** Present, or Late when the first punch comes after start + grace (local time). */
export function arrivalStatus(firstPunch: Date, schedule: Schedule, tz: string): 'Present' | 'Late' {
  const local = localParts(firstPunch, tz).minutes;
  return local > minutesOf(schedule.workday_start) + schedule.grace_minutes ? 'Late' : 'Present';
}

export async function findRecordRow(em: Em, recordId: number): Promise<RecordRow | null> {
  const rows = await em.execute<RecordRow[]>(`select ${RECORD_COLUMNS} from attendance where record_id = ?`, [recordId]);
  return rows[0] ?? null;
}

/** Notes without the "Missing check-out" the end-of-day rule added (null when nothing else is left). */
export const withoutMissingNote = (notes: string | null) => notes?.replace(/( · )?Missing check-out$/, '') || null;
