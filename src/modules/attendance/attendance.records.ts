import { dateOnly, isoTimestamp as iso, isoOrNull } from '../../infra/time.ts';
import type { Status } from './attendance.entity.ts';

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
};

export const RECORD_COLUMNS =
  'record_id, employee_id, team_id, attendance_date, status, check_in_time, check_out_time, notes, source, missing_check_out, created_at, updated_at';

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

/** Notes without the "Missing check-out" the end-of-day rule added (null when nothing else is left). */
export const withoutMissingNote = (notes: string | null) => notes?.replace(/( · )?Missing check-out$/, '') || null;
