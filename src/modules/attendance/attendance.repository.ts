import type { Sql, Statement } from '../../infra/db.ts';
import { filterConditions, whereClause, type ColumnMap, type Condition } from '../../infra/sql-where.ts';
import type { ReadScope } from '../auth/index.ts';
import type { Status } from './attendance.entity.ts';
import { RECORD_COLUMNS, type RecordRow } from './attendance.records.ts';

/** Every statement on `attendance` (reports that join people and teams to it included). */

export type RecordFilter = {
  date_from?: string;
  date_to?: string;
  status?: string;
  employee_id?: number;
  team_id?: number;
};

/** The list filters, on the columns of `attendance` (optionally under an alias). */
const filters = (alias: string): ColumnMap<keyof RecordFilter> => ({
  date_from: [`${alias}attendance_date`, '>='],
  date_to: [`${alias}attendance_date`, '<='],
  status: [`${alias}status`, '='],
  employee_id: [`${alias}employee_id`, '='],
  team_id: [`${alias}team_id`, '='],
});

/** What a caller may read, as conditions: a manager's team's records or their own; an employee's own. */
function scopeConditions(scope: ReadScope, alias: string): Condition[] {
  if (scope.kind === 'all') return [];
  const own: Condition = { column: `${alias}employee_id`, op: '=', value: scope.employee_id };
  return [{ any: scope.team_id === null ? [own] : [{ column: `${alias}team_id`, op: '=', value: scope.team_id }, own] }];
}

/** The WHERE of a filtered, scoped list of records. */
export const recordWhere = (filter: RecordFilter, scope: ReadScope, alias = '') =>
  whereClause([...filterConditions(filters(alias), filter), ...scopeConditions(scope, alias)]);

/** A page of records, newest first, and the count of every match (run together). */
export function recordListStatements(filter: RecordFilter & { skip: number; limit: number }, scope: ReadScope): { rows: Statement; count: Statement } {
  const where = recordWhere(filter, scope);
  const n = where.params.length;
  return {
    rows: {
      text: `select ${RECORD_COLUMNS} from attendance ${where.text} order by attendance_date desc, record_id desc limit $${n + 1} offset $${n + 2}`,
      values: [...where.params, filter.limit, filter.skip],
    },
    count: { text: `select count(*) as total from attendance ${where.text}`, values: where.params },
  };
}

export type ExportRow = {
  record_id: number; employee_id: number; employee_name: string; team_id: number | null; team_name: string | null;
  attendance_date: string | Date; status: string; check_in_time: string | Date | null; check_out_time: string | Date | null;
  missing_check_out: boolean; source: string; notes: string | null;
};

export type DayCountsRow = {
  day: string | Date;
  expected: string | number;
  present: string | number;
  late: string | number;
  remote: string | number;
  on_leave: string | number;
  absent_records: string | number;
  checked_out: string | number;
};

export type BoardRow = {
  employee_id: number;
  name: string;
  status: string | null;
  check_in_time: string | Date | null;
  check_out_time: string | Date | null;
  updated_at: string | Date | null;
};

type Named = RecordRow & { name: string };

export const attendance = {
  async list(sql: Sql, filter: RecordFilter & { skip: number; limit: number }, scope: ReadScope) {
    const s = recordListStatements(filter, scope);
    const [rows, [{ total }]] = await Promise.all([sql.query<RecordRow>(s.rows.text, s.rows.values), sql.query<{ total: string }>(s.count.text, s.count.values)]);
    return { rows, total: Number(total) };
  },

  async get(sql: Sql, recordId: number, opts: { lock?: boolean } = {}): Promise<RecordRow | null> {
    const [row] = await sql.query<RecordRow>(`select ${RECORD_COLUMNS} from attendance where record_id = $1${opts.lock ? ' for update' : ''}`, [recordId]);
    return row ?? null;
  },

  /** Inserts a record; null when the person already has one that day. */
  async insert(
    sql: Sql,
    r: { employee_id: number; team_id: number | null; attendance_date: string; status: Status; check_in_time: Date | null; check_out_time: Date | null; notes: string | null; source: string },
  ): Promise<RecordRow | null> {
    const [row] = await sql.query<RecordRow>(
      `insert into attendance (employee_id, team_id, attendance_date, status, check_in_time, check_out_time, notes, source, created_at, updated_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, now(), now())
       on conflict (employee_id, attendance_date) do nothing returning ${RECORD_COLUMNS}`,
      [r.employee_id, r.team_id, r.attendance_date, r.status, r.check_in_time, r.check_out_time, r.notes, r.source],
    );
    return row ?? null;
  },

  /** A correction: the missing-check-out flag stays only while there is still no check-out. */
  async update(
    sql: Sql,
    recordId: number,
    r: { attendance_date: string; status: string; check_in_time: Date | string | null; check_out_time: Date | string | null; notes: string | null },
  ): Promise<RecordRow> {
    const [row] = await sql.query<RecordRow>(
      `update attendance set attendance_date = $2, status = $3, check_in_time = $4, check_out_time = $5, notes = $6,
              missing_check_out = missing_check_out and $5::timestamptz is null, updated_at = clock_timestamp()
        where record_id = $1 returning ${RECORD_COLUMNS}`,
      [recordId, r.attendance_date, r.status, r.check_in_time, r.check_out_time, r.notes],
    );
    return row;
  },

  async delete(sql: Sql, recordId: number): Promise<void> {
    await sql.query('delete from attendance where record_id = $1', [recordId]);
  },

  /** How many records an export of these conditions would hold. */
  async exportCount(sql: Sql, filter: RecordFilter, scope: ReadScope): Promise<number> {
    const where = recordWhere(filter, scope, 'a.');
    const [{ n }] = await sql.query<{ n: string }>(`select count(*) as n from attendance a ${where.text}`, where.params);
    return Number(n);
  },

  /**
   * One page of an export, oldest first (by date, name and id), after `cursor` (the last row of the page before):
   * no statement stays open between pages.
   */
  async exportPage(sql: Sql, filter: RecordFilter, scope: ReadScope, cursor: ExportRow | null, size: number): Promise<ExportRow[]> {
    const where = recordWhere(filter, scope, 'a.');
    const n = where.params.length;
    const after = cursor ? `${where.text ? ' and' : 'where'} (a.attendance_date, e.name, a.record_id) > ($${n + 1}::date, $${n + 2}, $${n + 3})` : '';
    return sql.query<ExportRow>(
      `select a.record_id, a.employee_id, e.name as employee_name, a.team_id, t.team_name, a.attendance_date, a.status,
              a.check_in_time, a.check_out_time, a.missing_check_out, a.source, a.notes
         from attendance a join employees e on e.employee_id = a.employee_id left join teams t on t.team_id = a.team_id
         ${where.text}${after}
        order by a.attendance_date, e.name, a.record_id
        limit ${Math.floor(size)}`,
      cursor ? [...where.params, cursor.attendance_date, cursor.employee_name, cursor.record_id] : where.params,
    );
  },

  /** Every active member of a team with their record of `date` (or none), by name: a board's rows. */
  async teamDay(sql: Sql, teamId: number, date: string): Promise<BoardRow[]> {
    return sql.query<BoardRow>(
      `select e.employee_id, e.name, a.status, a.check_in_time, a.check_out_time, a.updated_at
         from employees e
         left join attendance a on a.employee_id = e.employee_id and a.attendance_date = $1
        where e.team_id = $2 and e.active
        order by e.name, e.employee_id`,
      [date, teamId],
    );
  },

  /**
   * Per-day counts for a date range, for one team or (teamId null) the whole organisation, in one statement: the
   * grid of expected people (active members of teams that work that weekday, who existed by then) against their
   * records.
   */
  async dailyCounts(sql: Sql, tz: string, from: string, to: string, teamId: number | null): Promise<DayCountsRow[]> {
    return sql.query<DayCountsRow>(
      `with days as (
         select d::date as day, extract(isodow from d)::int as dow
           from generate_series($1::date, $2::date, interval '1 day') d
       ),
       members as (
         select e.employee_id, t.working_weekdays, (e.created_at at time zone $3)::date as since
           from employees e join teams t on t.team_id = e.team_id
          where e.active and ($4::int is null or e.team_id = $4::int)
       ),
       grid as (
         select days.day, m.employee_id
           from days join members m on m.working_weekdays @> to_jsonb(days.dow) and m.since <= days.day
       )
       select g.day,
              count(*) filter (where a.status is distinct from 'On Leave') as expected,
              count(*) filter (where a.status in ('Present', 'Late', 'Half Day', 'Remote')) as present,
              count(*) filter (where a.status = 'Late') as late,
              count(*) filter (where a.status = 'Remote') as remote,
              count(*) filter (where a.status = 'On Leave') as on_leave,
              count(*) filter (where a.status = 'Absent') as absent_records,
              count(*) filter (where a.check_out_time is not null and a.status in ('Present', 'Late', 'Half Day')) as checked_out
         from grid g
         -- The explicit range lets PostgreSQL use the date index instead of scanning every record.
         left join attendance a on a.employee_id = g.employee_id and a.attendance_date = g.day
                               and a.attendance_date between $1::date and $2::date
        group by g.day
        order by g.day`,
      [from, to, tz, teamId],
    );
  },

  /** Absent (source system) for every active member expected on `date` who has no record that day. */
  async markAbsent(sql: Sql, date: string, weekday: number, tz: string): Promise<Named[]> {
    return sql.query<Named>(
      `with inserted as (
         insert into attendance (employee_id, team_id, attendance_date, status, notes, source, created_at, updated_at)
         select e.employee_id, e.team_id, $1::date, 'Absent', 'No check-in by the end of the day', 'system', now(), now()
           from employees e join teams t on t.team_id = e.team_id
          where e.active
            and t.working_weekdays @> to_jsonb($2::int)
            and (e.created_at at time zone $3)::date <= $1::date
         on conflict (employee_id, attendance_date) do nothing
         returning ${RECORD_COLUMNS}
       )
       select inserted.*, e.name from inserted join employees e on e.employee_id = inserted.employee_id`,
      [date, weekday, tz],
    );
  },

  /** Flags the check-ins of `date` that have no check-out (once). */
  async flagMissingCheckOuts(sql: Sql, date: string): Promise<Named[]> {
    return sql.query<Named>(
      `with flagged as (
         update attendance
            set missing_check_out = true,
                notes = case when notes is null or notes = '' then 'Missing check-out' else notes || ' · Missing check-out' end,
                updated_at = clock_timestamp()
          where attendance_date = $1::date and check_in_time is not null and check_out_time is null and not missing_check_out
         returning ${RECORD_COLUMNS}
       )
       select flagged.*, e.name from flagged join employees e on e.employee_id = flagged.employee_id`,
      [date],
    );
  },

  /** People with records of a status (or a missing check-out) in a range, with the dates. */
  async peopleWithStatus(sql: Sql, q: { from: string; to: string; status: string | 'missing_check_out'; team_id: number | null }) {
    const condition = q.status === 'missing_check_out' ? 'a.missing_check_out and $3::text is null' : 'a.status = $3';
    return sql.query<{ employee_id: number; name: string; team_name: string | null; dates: string[] | string }>(
      `select e.employee_id, e.name, t.team_name, array_agg(a.attendance_date::text order by a.attendance_date) as dates
         from attendance a join employees e on e.employee_id = a.employee_id left join teams t on t.team_id = e.team_id
        where a.attendance_date between $1 and $2 and ${condition} and ($4::int is null or e.team_id = $4::int)
        group by e.employee_id, e.name, t.team_name`,
      [q.from, q.to, q.status === 'missing_check_out' ? null : q.status, q.team_id],
    );
  },

  /**
   * People absent in a range: expected working days (the summaries' grid) with an Absent record or none at all. Days
   * from `today` on count only with an Absent record (the day is not over).
   */
  async absentPeople(sql: Sql, q: { from: string; to: string; team_id: number | null; tz: string; today: string }) {
    return sql.query<{ employee_id: number; name: string; team_name: string | null; dates: string[] | string }>(
      `with days as (select d::date as day, extract(isodow from d)::int as dow from generate_series($1::date, $2::date, interval '1 day') d)
       select e.employee_id, e.name, t.team_name, array_agg(days.day::text order by days.day) as dates
         from days
         join employees e on e.active and e.team_id is not null and ($3::int is null or e.team_id = $3::int)
         join teams t on t.team_id = e.team_id and t.working_weekdays @> to_jsonb(days.dow)
         left join attendance a on a.employee_id = e.employee_id and a.attendance_date = days.day
        where (e.created_at at time zone $4)::date <= days.day and (a.status is null or a.status = 'Absent')
          and (days.day < $5::date or a.status = 'Absent')
        group by e.employee_id, e.name, t.team_name`,
      [q.from, q.to, q.team_id, q.tz, q.today],
    );
  },

  /** One person's records in a range, oldest first. */
  async personRange(sql: Sql, employeeId: number, from: string, to: string) {
    return sql.query<{ attendance_date: string | Date; status: string; check_in_time: string | Date | null; check_out_time: string | Date | null; notes: string | null; missing_check_out: boolean }>(
      `select attendance_date, status, check_in_time, check_out_time, notes, missing_check_out from attendance
        where employee_id = $1 and attendance_date between $2 and $3 order by attendance_date`,
      [employeeId, from, to],
    );
  },
};
