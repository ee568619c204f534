import type { Ctx } from '../../infra/context.ts';
import { sqlOf } from '../../infra/db.ts';
import { AppError } from '../../infra/errors.ts';
import { dateOnly, isoOrNull, localParts } from '../../infra/time.ts';
import { readScope } from '../auth/index.ts';
import { intervalsOf } from './attendance.records.ts';
import { attendance, type ExportRow, type RecordFilter } from './attendance.repository.ts';

/** The most rows one export returns; narrow the date range for more. */
export const EXPORT_MAX_ROWS = 100_000;
/** Rows read per statement while streaming: memory stays at one page whatever the export's size. */
const PAGE_ROWS = 2_000;

const HEADER = [
  'record_id', 'employee_id', 'employee_name', 'team_id', 'team_name', 'attendance_date', 'timezone', 'status',
  'check_in_time', 'check_out_time', 'check_in_local', 'check_out_local', 'intervals_local', 'worked_minutes', 'break_minutes',
  'overtime_minutes', 'weekly_overtime_minutes', 'left_early', 'missing_check_out', 'source', 'notes',
];

/** A CSV cell: quoted when needed, and defused when a spreadsheet would read it as a formula. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = value instanceof Date ? value.toISOString() : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * The records the caller may read, filtered like GET /attendance/, as a stream of CSV text (oldest first). The rows
 * are counted first: over EXPORT_MAX_ROWS is 422 before anything is sent. Then they are read a page at a time,
 * each page after the last row of the one before (by date, name and id), as the client takes them: no statement
 * stays open between pages and no more than one page is held in memory. `done` runs when the stream ends,
 * is cancelled or fails.
 */
export async function exportCsv(ctx: Ctx, filter: RecordFilter, done: () => void = () => undefined): Promise<ReadableStream<Uint8Array>> {
  const scope = readScope(ctx.user!);
  const sql = sqlOf(ctx.em);
  try {
    if ((await attendance.exportCount(sql, filter, scope)) > EXPORT_MAX_ROWS) {
      throw new AppError(422, 'too_many_rows', `More than ${EXPORT_MAX_ROWS} records: narrow the date range`);
    }
  } catch (error) {
    done();
    throw error;
  }

  // Local times are in each record's own zone (its team's, or TIMEZONE), which the `timezone` column names.
  const local = (d: string | Date | null, tz: string) => (d == null ? null : localParts(new Date(d), tz).hhmm);
  const line = (r: ExportRow) => {
    const tz = r.timezone ?? ctx.config.timezone;
    const intervals = intervalsOf(r).map((i) => `${local(i.check_in_time, tz)}-${local(i.check_out_time, tz) ?? ''}`).join(' ');
    return [
      r.record_id, r.employee_id, r.employee_name, r.team_id, r.team_name, dateOnly(r.attendance_date), tz, r.status,
      isoOrNull(r.check_in_time), isoOrNull(r.check_out_time), local(r.check_in_time, tz), local(r.check_out_time, tz), intervals,
      r.worked_minutes, r.break_minutes, r.overtime_minutes, r.weekly_overtime_minutes, Boolean(r.left_early), Boolean(r.missing_check_out), r.source, r.notes,
    ].map(csvCell).join(',');
  };

  const encoder = new TextEncoder();
  let cursor: ExportRow | null = null;
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    done();
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(`${HEADER.join(',')}\r\n`));
    },
    async pull(controller) {
      try {
        const rows = await attendance.exportPage(sql, filter, scope, cursor, PAGE_ROWS);
        if (rows.length) controller.enqueue(encoder.encode(`${rows.map(line).join('\r\n')}\r\n`));
        cursor = rows.at(-1) ?? cursor;
        if (rows.length < PAGE_ROWS) {
          controller.close();
          finish();
        }
      } catch (error) {
        ctx.log.error({ err: error }, 'export failed while streaming');
        controller.error(error);
        finish();
      }
    },
    cancel() {
      finish();
    },
  });
}
