import type { Ctx } from '../../infra/context.ts';
import { sqlOf } from '../../infra/db.ts';
import { AppError } from '../../infra/errors.ts';
import { dateOnly, localParts } from '../../infra/time.ts';
import { numbered, readScope, recordWhere, type RecordFilter } from './attendance.service.ts';

/** The most rows one export returns; narrow the date range for more. */
export const EXPORT_MAX_ROWS = 100_000;
/** Rows read per statement while streaming: memory stays at one page whatever the export's size. */
const PAGE_ROWS = 2_000;

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

/**
 * The records the caller may read, filtered like GET /attendance/, as a stream of CSV text (oldest first). The rows
 * are counted first: over EXPORT_MAX_ROWS is 422 before anything is sent. Then they are read a page at a time,
 * each page after the last row of the one before (by date, name and id), as the client takes them: no statement
 * stays open between pages and no more than one page is held in memory. `done` runs when the stream ends,
 * is cancelled or fails.
 */
export async function exportCsv(ctx: Ctx, filter: Omit<RecordFilter, 'skip' | 'limit'>, done: () => void = () => undefined): Promise<ReadableStream<Uint8Array>> {
  const { clause, params } = recordWhere(filter, readScope(ctx), 'a.');
  const sql = sqlOf(ctx.em);
  const where = numbered(clause);
  try {
    const [{ n }] = await sql.query<{ n: string | number }>(`select count(*) as n from attendance a ${where.text}`, params);
    if (Number(n) > EXPORT_MAX_ROWS) throw new AppError(422, 'too_many_rows', `More than ${EXPORT_MAX_ROWS} records: narrow the date range`);
  } catch (error) {
    done();
    throw error;
  }

  const after = `${where.text ? ' and' : 'where'} (a.attendance_date, e.name, a.record_id) > ($${where.count + 1}::date, $${where.count + 2}, $${where.count + 3})`;
  const page = (cursor: Row | null) =>
    sql.query<Row>(
      `select a.record_id, a.employee_id, e.name as employee_name, a.team_id, t.team_name, a.attendance_date, a.status,
              a.check_in_time, a.check_out_time, a.missing_check_out, a.source, a.notes
         from attendance a join employees e on e.employee_id = a.employee_id left join teams t on t.team_id = a.team_id
         ${where.text}${cursor ? after : ''}
        order by a.attendance_date, e.name, a.record_id
        limit ${PAGE_ROWS}`,
      cursor ? [...params, dateOnly(cursor.attendance_date), cursor.employee_name, cursor.record_id] : params,
    );

  const tz = ctx.config.timezone;
  const local = (d: string | Date | null) => (d == null ? null : localParts(new Date(d), tz).hhmm);
  const iso = (d: string | Date | null) => (d == null ? null : new Date(d).toISOString());
  const line = (r: Row) =>
    [
      r.record_id, r.employee_id, r.employee_name, r.team_id, r.team_name, dateOnly(r.attendance_date), r.status,
      iso(r.check_in_time), iso(r.check_out_time), local(r.check_in_time), local(r.check_out_time), Boolean(r.missing_check_out), r.source, r.notes,
    ].map(csvCell).join(',');

  const encoder = new TextEncoder();
  let cursor: Row | null = null;
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
        const rows: Row[] = await page(cursor);
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
