import type { Sql } from '../../infra/db.ts';
import { filterConditions, whereClause, type ColumnMap, type Condition } from '../../infra/sql-where.ts';
import type { ReadScope } from '../auth/index.ts';
import { RECORD_COLUMNS, type RecordRow } from './attendance.records.ts';
import type { CorrectionStatus } from './correction.entity.ts';

/** Every statement on `attendance_corrections`. */

/** A correction as read: with the names of the people it mentions and the person's current team. */
export type CorrectionRow = {
  correction_id: number;
  employee_id: number;
  employee_name: string;
  team_id: number | null;
  attendance_date: string | Date;
  record_id: number | null;
  requested_by: number | null;
  requested_by_name: string | null;
  changes: unknown;
  reason: string;
  status: CorrectionStatus;
  comment: string | null;
  resolved_by: number | null;
  resolved_by_name: string | null;
  resolved_at: string | Date | null;
  created_at: string | Date;
  updated_at: string | Date;
};

export type CorrectionFilter = { status?: CorrectionStatus; employee_id?: number; team_id?: number; date_from?: string; date_to?: string };

const FILTERS: ColumnMap<keyof CorrectionFilter> = {
  status: ['c.status', '='],
  employee_id: ['c.employee_id', '='],
  team_id: ['e.team_id', '='],
  date_from: ['c.attendance_date', '>='],
  date_to: ['c.attendance_date', '<='],
};

/** What a caller may read: a manager's team's (the people's current team) and their own; an employee's own. */
function scopeConditions(scope: ReadScope): Condition[] {
  if (scope.kind === 'all') return [];
  const own: Condition = { column: 'c.employee_id', op: '=', value: scope.employee_id };
  return [{ any: scope.team_id === null ? [own] : [{ column: 'e.team_id', op: '=', value: scope.team_id }, own] }];
}

const SELECT = `
  select c.correction_id, c.employee_id, e.name as employee_name, e.team_id, c.attendance_date, c.record_id, c.requested_by,
         rq.name as requested_by_name, c.changes, c.reason, c.status, c.comment, c.resolved_by, rs.name as resolved_by_name,
         c.resolved_at, c.created_at, c.updated_at
    from attendance_corrections c
    join employees e on e.employee_id = c.employee_id
    left join employees rq on rq.employee_id = c.requested_by
    left join employees rs on rs.employee_id = c.resolved_by`;

export const corrections = {
  /** Adds a pending request; a second pending one for the person's day breaks `attendance_corrections_pending_unique`. */
  async insert(sql: Sql, r: { employee_id: number; attendance_date: string; record_id: number | null; requested_by: number | null; changes: object; reason: string }): Promise<number> {
    const [row] = await sql.query<{ correction_id: number }>(
      `insert into attendance_corrections (employee_id, attendance_date, record_id, requested_by, changes, reason, status, created_at, updated_at)
       values ($1, $2, $3, $4, $5::jsonb, $6, 'pending', now(), now()) returning correction_id`,
      [r.employee_id, r.attendance_date, r.record_id, r.requested_by, JSON.stringify(r.changes), r.reason],
    );
    return Number(row.correction_id);
  },

  /** One correction (locked when asked: a decision waits for another one on the same request). */
  async get(sql: Sql, correctionId: number, opts: { lock?: boolean } = {}): Promise<CorrectionRow | null> {
    const [row] = await sql.query<CorrectionRow>(`${SELECT} where c.correction_id = $1${opts.lock ? ' for update of c' : ''}`, [correctionId]);
    return row ?? null;
  },

  /** A page of corrections, newest first, and the count of every match. */
  async list(sql: Sql, filter: CorrectionFilter, scope: ReadScope, page: { skip: number; limit: number }) {
    const where = whereClause([...filterConditions(FILTERS, filter), ...scopeConditions(scope)]);
    const n = where.params.length;
    const [rows, [{ total }]] = await Promise.all([
      sql.query<CorrectionRow>(`${SELECT} ${where.text} order by c.created_at desc, c.correction_id desc limit $${n + 1} offset $${n + 2}`, [...where.params, page.limit, page.skip]),
      sql.query<{ total: string }>(
        `select count(*) as total from attendance_corrections c join employees e on e.employee_id = c.employee_id ${where.text}`,
        where.params,
      ),
    ]);
    return { rows, total: Number(total) };
  },

  /** Decides a pending request (approved, rejected or cancelled); false when it was no longer pending. */
  async resolve(
    sql: Sql,
    correctionId: number,
    r: { status: Exclude<CorrectionStatus, 'pending'>; comment: string | null; resolved_by: number | null; record_id?: number },
  ): Promise<boolean> {
    const rows = await sql.query(
      `update attendance_corrections
          set status = $2, comment = $3, resolved_by = $4, resolved_at = clock_timestamp(), record_id = coalesce($5, record_id), updated_at = clock_timestamp()
        where correction_id = $1 and status = 'pending' returning correction_id`,
      [correctionId, r.status, r.comment, r.resolved_by, r.record_id ?? null],
    );
    return rows.length > 0;
  },

  /** The records of these people's days, for showing each request beside the day as it is now. */
  async days(sql: Sql, days: { employee_id: number; attendance_date: string }[]): Promise<RecordRow[]> {
    if (!days.length) return [];
    return sql.query<RecordRow>(
      `select ${RECORD_COLUMNS} from attendance
        where (employee_id, attendance_date) in (select * from unnest($1::int[], $2::date[]))`,
      [days.map((d) => d.employee_id), days.map((d) => d.attendance_date)],
    );
  },
};
