import type { Sql, Statement } from '../../infra/db.ts';
import { filterConditions, whereClause, type ColumnMap, type Condition } from '../../infra/sql-where.ts';
import type { ReadScope } from '../auth/index.ts';
import { RECORD_COLUMNS, type RecordRow } from './attendance.records.ts';
import type { Interval } from './day.rules.ts';
import type { ExpectedGrid } from './planning.ts';

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
  missing_check_out: boolean; source: string; notes: string | null; timezone: string | null; worked_minutes: number; break_minutes: number;
  overtime_minutes: number; weekly_overtime_minutes: number; left_early: boolean; intervals: Interval[] | string;
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

/** A board's row: an active member and their record of the day, if any (record columns null otherwise). */
export type BoardRow = { member_id: number; member_name: string } & ({ [K in keyof RecordRow]: RecordRow[K] | null });

/** The columns a record's figures are written to (by the recompute, a correction or the end of the day). */
const FIGURES = {
  status: 'text', check_in_time: 'timestamptz', check_out_time: 'timestamptz', intervals: 'jsonb', worked_minutes: 'int', break_minutes: 'int',
  overtime_minutes: 'int', weekly_overtime_minutes: 'int', planned_minutes: 'int', left_early: 'boolean', shift_start: 'timestamptz',
  shift_end: 'timestamptz', schedule_id: 'int', schedule_version: 'int', timezone: 'text', missing_check_out: 'boolean', notes: 'text', intervals_edited: 'boolean',
} as const;
type FigureName = keyof typeof FIGURES;
const FIGURE_NAMES = Object.keys(FIGURES) as FigureName[];
export type RecordFigures = { [K in FigureName]: RecordRow[K] };

const toParam = (name: FigureName, value: unknown) => {
  if (value instanceof Date) return value.toISOString();
  if (name === 'intervals') return typeof value === 'string' ? value : JSON.stringify(value ?? []);
  return value ?? null;
};

/**
 * The expected people of each day, from a planning grid: members of teams working that day who follow their team's
 * schedule (not on an assignment that day) and existed by then, and the days of people on an assignment. Parameters
 * from \$n: team ids, team days, person ids, person days, the organisation's zone.
 */
const gridCte = (n: number) => `
  grid as (
    select e.employee_id, e.team_id, td.day
      from unnest($${n}::int[], $${n + 1}::date[]) td(team_id, day)
      join employees e on e.team_id = td.team_id and e.active
      join teams t on t.team_id = e.team_id
     where (e.created_at at time zone coalesce(t.timezone, $${n + 4}))::date <= td.day
       and not exists (select 1 from employee_schedules s where s.employee_id = e.employee_id and s.valid_from <= td.day and (s.valid_to is null or s.valid_to >= td.day))
    union all
    select e.employee_id, e.team_id, pd.day
      from unnest($${n + 2}::int[], $${n + 3}::date[]) pd(employee_id, day)
      join employees e on e.employee_id = pd.employee_id and e.active and e.team_id is not null
      join teams t on t.team_id = e.team_id
     where (e.created_at at time zone coalesce(t.timezone, $${n + 4}))::date <= pd.day
  )`;

const gridParams = (grid: ExpectedGrid, tz: string) => [
  grid.teamDays.map((d) => d.team_id), grid.teamDays.map((d) => d.day), grid.personDays.map((d) => d.employee_id), grid.personDays.map((d) => d.day), tz,
];

/** "Now" and MAX_SHIFT_HOURS, for telling a stay still under way from a check-out forgotten long ago. */
export type OpenStay = { now: Date; maxShiftHours: number };

/**
 * A record whose last stay is still under way: its last interval is open, began within MAX_SHIFT_HOURS of now, and
 * the end of its day has not flagged it as a forgotten check-out. `$n` is now, `$n+1` MAX_SHIFT_HOURS.
 */
function openStay(a: string, n: number) {
  return `jsonb_array_length(${a}.intervals) > 0 and ${a}.intervals -> -1 ->> 'check_out_time' is null and not ${a}.missing_check_out
          and (${a}.intervals -> -1 ->> 'check_in_time')::timestamptz > $${n}::timestamptz - make_interval(hours => $${n + 1}::int)`;
}

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

  /** Inserts a record with its figures; null when the person already has one that day. */
  async insert(sql: Sql, r: { employee_id: number; team_id: number | null; attendance_date: string; source: string } & RecordFigures): Promise<RecordRow | null> {
    const [row] = await sql.query<RecordRow>(
      `insert into attendance (employee_id, team_id, attendance_date, source, ${FIGURE_NAMES.join(', ')}, created_at, updated_at)
       values ($1, $2, $3, $4, ${FIGURE_NAMES.map((name, k) => `$${k + 5}::${FIGURES[name]}`).join(', ')}, now(), now())
       on conflict (employee_id, attendance_date) do nothing returning ${RECORD_COLUMNS}`,
      [r.employee_id, r.team_id, r.attendance_date, r.source, ...FIGURE_NAMES.map((name) => toParam(name, r[name]))],
    );
    return row ?? null;
  },

  /** A correction: the date and every figure. */
  async update(sql: Sql, recordId: number, r: { attendance_date: string } & RecordFigures): Promise<RecordRow> {
    const [row] = await sql.query<RecordRow>(
      `update attendance set attendance_date = $2, ${FIGURE_NAMES.map((name, k) => `${name} = $${k + 3}::${FIGURES[name]}`).join(', ')}, updated_at = clock_timestamp()
        where record_id = $1 returning ${RECORD_COLUMNS}`,
      [recordId, r.attendance_date, ...FIGURE_NAMES.map((name) => toParam(name, r[name]))],
    );
    return row;
  },

  /** Rewrites the figures of many records in one statement (the recompute, the end of the day); returns the rows. */
  async setFigures(sql: Sql, rows: ({ record_id: number } & RecordFigures)[]): Promise<RecordRow[]> {
    if (!rows.length) return [];
    return sql.query<RecordRow>(
      `update attendance a set ${FIGURE_NAMES.map((name) => `${name} = v.${name}`).join(', ')}, updated_at = clock_timestamp()
         from unnest($1::int[], ${FIGURE_NAMES.map((name, k) => `$${k + 2}::${FIGURES[name] === 'jsonb' ? 'text' : FIGURES[name]}[]`).join(', ')})
              as v(record_id, ${FIGURE_NAMES.join(', ')})
        where a.record_id = v.record_id returning ${RECORD_COLUMNS.split(', ').map((c) => `a.${c}`).join(', ')}`.replace('intervals = v.intervals', 'intervals = v.intervals::jsonb'),
      [rows.map((r) => r.record_id), ...FIGURE_NAMES.map((name) => rows.map((r) => toParam(name, r[name])))],
    );
  },

  /** Sets each record's share of weekly overtime. */
  async setWeekly(sql: Sql, shares: { record_id: number; weekly_overtime_minutes: number }[]): Promise<RecordRow[]> {
    if (!shares.length) return [];
    return sql.query<RecordRow>(
      `update attendance a set weekly_overtime_minutes = v.n, updated_at = clock_timestamp()
         from unnest($1::int[], $2::int[]) as v(record_id, n) where a.record_id = v.record_id
       returning ${RECORD_COLUMNS.split(', ').map((c) => `a.${c}`).join(', ')}`,
      [shares.map((s) => s.record_id), shares.map((s) => s.weekly_overtime_minutes)],
    );
  },

  /** The records of these people between two dates, by person and date (locked when asked). */
  async ofPeople(sql: Sql, employeeIds: number[], from: string, to: string, opts: { lock?: boolean } = {}): Promise<RecordRow[]> {
    if (!employeeIds.length) return [];
    return sql.query<RecordRow>(
      `select ${RECORD_COLUMNS} from attendance where employee_id = any($1::int[]) and attendance_date between $2 and $3
        order by employee_id, attendance_date${opts.lock ? ' for update' : ''}`,
      [employeeIds, from, to],
    );
  },

  /** Absences the end of the day marked on days that turned out to be no working day (a holiday added later). */
  async deleteSystemAbsences(sql: Sql, recordIds: number[]): Promise<RecordRow[]> {
    if (!recordIds.length) return [];
    return sql.query<RecordRow>(
      `delete from attendance where record_id = any($1::int[]) and source = 'system' and status = 'Absent' and jsonb_array_length(intervals) = 0 returning ${RECORD_COLUMNS}`,
      [recordIds],
    );
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
              a.check_in_time, a.check_out_time, a.missing_check_out, a.source, a.notes, a.timezone, a.worked_minutes, a.break_minutes,
              a.overtime_minutes, a.weekly_overtime_minutes, a.left_early, a.intervals
         from attendance a join employees e on e.employee_id = a.employee_id left join teams t on t.team_id = a.team_id
         ${where.text}${after}
        order by a.attendance_date, e.name, a.record_id
        limit ${Math.floor(size)}`,
      cursor ? [...where.params, cursor.attendance_date, cursor.employee_name, cursor.record_id] : where.params,
    );
  },

  /** Every active member of a team with their record of `date` (or none), by name: a board's rows. */
  /**
   * A team's members with their record of `date`; someone with none, still in from a stay begun the day before (a
   * night shift), comes with that stay's record.
   */
  async teamDay(sql: Sql, teamId: number, date: string, stay: OpenStay): Promise<BoardRow[]> {
    return sql.query<BoardRow>(
      `select e.employee_id as member_id, e.name as member_name, ${RECORD_COLUMNS.split(', ').map((c) => `a.${c}`).join(', ')}
         from employees e
         left join lateral (
           select * from attendance a
            where a.employee_id = e.employee_id
              and (a.attendance_date = $1::date or (a.attendance_date = $1::date - 1 and ${openStay('a', 3)}))
            order by a.attendance_date desc limit 1) a on true
        where e.team_id = $2 and e.active
        order by e.name, e.employee_id`,
      [date, teamId, stay.now, stay.maxShiftHours],
    );
  },

  /**
   * Who is in now (the fire roll call): active people whose latest record of the last two days (a night shift started
   * yesterday) has an open interval; of one team, or everyone. With the time they came in.
   */
  async onSite(sql: Sql, q: { team_id: number | null; since: string } & OpenStay) {
    return sql.query<{ employee_id: number; name: string; team_id: number | null; team_name: string | null; record_id: number; attendance_date: string | Date; intervals: Interval[] | string; timezone: string | null }>(
      `select distinct on (e.employee_id) e.employee_id, e.name, e.team_id, t.team_name, a.record_id, a.attendance_date, a.intervals, a.timezone
         from attendance a join employees e on e.employee_id = a.employee_id left join teams t on t.team_id = e.team_id
        where a.attendance_date >= $1::date and e.active and ($2::int is null or e.team_id = $2::int)
          and ${openStay('a', 3)}
        order by e.employee_id, a.attendance_date desc`,
      [q.since, q.team_id, q.now, q.maxShiftHours],
    );
  },

  /** Minutes worked, overtime and weekly overtime per day (every record, expected or not), for a team or everyone. */
  async hoursByDay(sql: Sql, from: string, to: string, teamId: number | null) {
    return sql.query<{ day: string | Date; worked: string; overtime: string; weekly_overtime: string }>(
      `select attendance_date as day, sum(worked_minutes) as worked, sum(overtime_minutes) as overtime, sum(weekly_overtime_minutes) as weekly_overtime
         from attendance where attendance_date between $1 and $2 and ($3::int is null or team_id = $3::int)
        group by attendance_date`,
      [from, to, teamId],
    );
  },

  /**
   * Per-day counts for a date range, in one statement: the grid of expected people (see `gridCte`) against their
   * records. The grid says who is expected; the records say what happened.
   */
  async dailyCounts(sql: Sql, tz: string, from: string, to: string, grid: ExpectedGrid): Promise<DayCountsRow[]> {
    return sql.query<DayCountsRow>(
      `with ${gridCte(3)}
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
      [from, to, ...gridParams(grid, tz)],
    );
  },

  /** Absent (source system) for every person the grid expects on `date` who has no record that day. */
  async markAbsent(sql: Sql, date: string, tz: string, grid: ExpectedGrid): Promise<Named[]> {
    return sql.query<Named>(
      `with ${gridCte(2)}, inserted as (
         insert into attendance (employee_id, team_id, attendance_date, status, notes, source, timezone, created_at, updated_at)
         select g.employee_id, g.team_id, $1::date, 'Absent', 'No check-in by the end of the day', 'system', coalesce(t.timezone, $6), now(), now()
           from grid g left join teams t on t.team_id = g.team_id
          where g.day = $1::date
         on conflict (employee_id, attendance_date) do nothing
         returning ${RECORD_COLUMNS}
       )
       select inserted.*, e.name from inserted join employees e on e.employee_id = inserted.employee_id`,
      [date, ...gridParams(grid, tz)],
    );
  },

  /** The open records of `date` (checked in, not out) of these teams, locked: the end of the day closes or flags them. */
  async openOn(sql: Sql, date: string, teamIds: number[] | null): Promise<Named[]> {
    return sql.query<Named>(
      `select ${RECORD_COLUMNS.split(', ').map((c) => `a.${c}`).join(', ')}, e.name from attendance a join employees e on e.employee_id = a.employee_id
        where a.attendance_date = $1::date and jsonb_array_length(a.intervals) > 0 and a.intervals -> -1 ->> 'check_out_time' is null
          and not a.missing_check_out and ($2::int[] is null or a.team_id = any($2::int[]))
        for update of a`,
      [date, teamIds],
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
   * People absent in a range: days the grid expects them with an Absent record or none at all. Days from `today` on
   * count only with an Absent record (the day is not over).
   */
  async absentPeople(sql: Sql, q: { from: string; to: string; tz: string; today: string; grid: ExpectedGrid }) {
    return sql.query<{ employee_id: number; name: string; team_name: string | null; dates: string[] | string }>(
      `with ${gridCte(4)}
       select e.employee_id, e.name, t.team_name, array_agg(g.day::text order by g.day) as dates
         from grid g
         join employees e on e.employee_id = g.employee_id
         join teams t on t.team_id = e.team_id
         left join attendance a on a.employee_id = g.employee_id and a.attendance_date = g.day
        where g.day between $1 and $2 and (a.status is null or a.status = 'Absent') and (g.day < $3::date or a.status = 'Absent')
        group by e.employee_id, e.name, t.team_name`,
      [q.from, q.to, q.today, ...gridParams(q.grid, q.tz)],
    );
  },

  /** The records of a timesheet (filtered and scoped as lists are), with names, by person and date. */
  async timesheetRows(sql: Sql, filter: RecordFilter, scope: ReadScope) {
    const where = recordWhere(filter, scope, 'a.');
    return sql.query<RecordRow & { name: string; team_name: string | null }>(
      `select ${RECORD_COLUMNS.split(', ').map((c) => `a.${c}`).join(', ')}, e.name, t.team_name
         from attendance a join employees e on e.employee_id = a.employee_id left join teams t on t.team_id = a.team_id
         ${where.text} order by e.name, a.employee_id, a.attendance_date`,
      where.params,
    );
  },

  /** The active people a timesheet of this filter and scope covers even without records (their expected days). */
  async rosterOf(sql: Sql, filter: Pick<RecordFilter, 'team_id' | 'employee_id'>, scope: ReadScope) {
    const where = whereClause([
      ...filterConditions({ team_id: ['e.team_id', '='], employee_id: ['e.employee_id', '='] } as ColumnMap<'team_id' | 'employee_id'>, filter),
      ...scopeConditions(scope, 'e.'),
    ]);
    const rows = await sql.query<{ employee_id: number; name: string; team_id: number | null; team_name: string | null }>(
      `select e.employee_id, e.name, e.team_id, t.team_name from employees e left join teams t on t.team_id = e.team_id
         ${where.text ? `${where.text} and e.active` : 'where e.active'}`,
      where.params,
    );
    return rows.map((r) => ({ employee_id: Number(r.employee_id), name: r.name, team_id: r.team_id == null ? null : Number(r.team_id), team_name: r.team_name }));
  },

  /** Hours per person in a range (records of the range), most worked first. */
  async hoursByPerson(sql: Sql, q: { from: string; to: string; team_id: number | null }) {
    return sql.query<{ employee_id: number; name: string; team_name: string | null; days: string; worked: string; breaks: string; overtime: string; weekly_overtime: string; left_early: string }>(
      `select e.employee_id, e.name, t.team_name, count(*) filter (where a.worked_minutes > 0) as days, sum(a.worked_minutes) as worked,
              sum(a.break_minutes) as breaks, sum(a.overtime_minutes) as overtime, sum(a.weekly_overtime_minutes) as weekly_overtime,
              count(*) filter (where a.left_early) as left_early
         from attendance a join employees e on e.employee_id = a.employee_id left join teams t on t.team_id = a.team_id
        where a.attendance_date between $1 and $2 and ($3::int is null or a.team_id = $3::int)
        group by e.employee_id, e.name, t.team_name
        order by sum(a.worked_minutes) desc, e.name`,
      [q.from, q.to, q.team_id],
    );
  },

  /** One person's records in a range, oldest first. */
  /** The first check-in and last check-out of each record in a range (for one team or person, or everyone), with its zone. */
  async checkTimes(sql: Sql, q: { from: string; to: string; team_id: number | null; employee_id: number | null }) {
    return sql.query<{ employee_id: number; check_in_time: Date | string | null; check_out_time: Date | string | null; timezone: string | null }>(
      `select a.employee_id, a.check_in_time, a.check_out_time, a.timezone
         from attendance a join employees e on e.employee_id = a.employee_id and e.active
        where a.attendance_date between $1 and $2 and ($3::int is null or e.team_id = $3::int) and ($4::int is null or a.employee_id = $4::int)
          and (a.check_in_time is not null or a.check_out_time is not null)`,
      [q.from, q.to, q.team_id, q.employee_id],
    );
  },

  async personRange(sql: Sql, employeeId: number, from: string, to: string): Promise<RecordRow[]> {
    return sql.query<RecordRow>(`select ${RECORD_COLUMNS} from attendance where employee_id = $1 and attendance_date between $2 and $3 order by attendance_date`, [employeeId, from, to]);
  },
};
