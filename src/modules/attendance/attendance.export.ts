import type { Ctx } from '../../infra/context.ts';
import { AppError } from '../../infra/errors.ts';
import { dateOnly, localParts } from '../../infra/time.ts';
import { readScope, recordWhere, type RecordFilter } from './attendance.service.ts';

/** The most rows one export returns; narrow the date range for more. */
export const EXPORT_MAX_ROWS = 100_000;

const HEADER = [
  'record_id', 'employee_id', 'employee_name', 'team_id', 'team_name', 'attendance_date', 'status',
  'check_in_time', 'check_out_time', 'check_in_local', 'check_out_local', 'missing_check_out', 'source', 'notes',
];

/** A CSV cell: quoted when needed, and defused when a spreadsheet would read it as a formula. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = value instanceof Date ? value.toISOString() : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

type Row = {
  record_id: number; employee_id: number; employee_name: string; team_id: number | null; team_name: string | null;
  attendance_date: string | Date; status: string; check_in_time: string | Date | null; check_out_time: string | Date | null;
  missing_check_out: boolean; source: string; notes: string | null;
};

/** The records the caller may read, filtered like GET /attendance/, as CSV (oldest first). */
export async function exportCsv(ctx: Ctx, filter: Omit<RecordFilter, 'skip' | 'limit'>): Promise<string> {
  const { clause, params } = recordWhere(filter, readScope(ctx), 'a.');
  const rows = await ctx.em.execute<Row[]>(
    `select a.record_id, a.employee_id, e.name as employee_name, a.team_id, t.team_name, a.attendance_date, a.status,
            a.check_in_time, a.check_out_time, a.missing_check_out, a.source, a.notes
       from attendance a join employees e on e.employee_id = a.employee_id left join teams t on t.team_id = a.team_id
       ${clause}
      order by a.attendance_date, e.name, a.record_id
      limit ?`,
    [...params, EXPORT_MAX_ROWS + 1],
  );
  if (rows.length > EXPORT_MAX_ROWS) throw new AppError(422, 'too_many_rows', `More than ${EXPORT_MAX_ROWS} records: narrow the date range`);
  const tz = ctx.config.timezone;
  const local = (d: string | Date | null) => (d == null ? null : localParts(new Date(d), tz).hhmm);
  const iso = (d: string | Date | null) => (d == null ? null : new Date(d).toISOString());
  const lines = [HEADER.join(',')];
  for (const r of rows) {
    lines.push(
      [
        r.record_id, r.employee_id, r.employee_name, r.team_id, r.team_name, dateOnly(r.attendance_date), r.status,
        iso(r.check_in_time), iso(r.check_out_time), local(r.check_in_time), local(r.check_out_time), Boolean(r.missing_check_out), r.source, r.notes,
      ].map(csvCell).join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}
