import type { Sql } from '../../infra/db.ts';
import { dateOnly } from '../../infra/time.ts';
import type { Assignment, Holiday, ScheduleVersion, Shift } from './schedule.rules.ts';

/** Every statement on `schedules`, `schedule_versions`, `employee_schedules` and `holidays`. */

export type ScheduleRow = {
  schedule_id: number;
  name: string;
  cycle_weeks: number;
  starts_on: string | Date;
  grace_minutes: number;
  shifts: Shift[] | string;
  version: number;
  valid_from: string | Date;
  owner_team_id: number | null;
  created_at: string | Date;
  updated_at: string | Date;
};

const COLUMNS = 'schedule_id, name, cycle_weeks, starts_on, grace_minutes, shifts, version, valid_from, owner_team_id, created_at, updated_at';

export type SchedulePattern = { cycle_weeks: number; starts_on: string; grace_minutes: number; shifts: Shift[] };

const json = <T,>(value: T | string): T => (typeof value === 'string' ? (JSON.parse(value) as T) : value);

/** A stored version as the rules read it. */
export const versionOf = (r: { schedule_id: number; version: number; valid_from: string | Date; cycle_weeks: number; starts_on: string | Date; grace_minutes: number; shifts: Shift[] | string }): ScheduleVersion => ({
  schedule_id: Number(r.schedule_id),
  version: Number(r.version),
  valid_from: dateOnly(r.valid_from),
  cycle_weeks: Number(r.cycle_weeks),
  starts_on: dateOnly(r.starts_on),
  grace_minutes: Number(r.grace_minutes),
  shifts: json<Shift[]>(r.shifts),
});

export type AssignmentRow = { assignment_id: number; employee_id: number; schedule_id: number; schedule_name: string; valid_from: string | Date; valid_to: string | Date | null };
export type HolidayRow = { holiday_id: number; date: string | Date; name: string; team_id: number | null };

export const holidayOf = (r: HolidayRow): Holiday & { holiday_id: number } => ({
  holiday_id: Number(r.holiday_id),
  date: dateOnly(r.date),
  name: r.name,
  team_id: r.team_id == null ? null : Number(r.team_id),
});

export const schedules = {
  async list(sql: Sql, page: { skip: number; limit: number }) {
    const [rows, [{ n }]] = await Promise.all([
      sql.query<ScheduleRow>(`select ${COLUMNS} from schedules order by schedule_id limit $1 offset $2`, [page.limit, page.skip]),
      sql.query<{ n: string }>('select count(*) as n from schedules'),
    ]);
    return { rows, total: Number(n) };
  },

  async get(sql: Sql, id: number, opts: { lock?: boolean } = {}): Promise<ScheduleRow | null> {
    const [row] = await sql.query<ScheduleRow>(`select ${COLUMNS} from schedules where schedule_id = $1${opts.lock ? ' for update' : ''}`, [id]);
    return row ?? null;
  },

  async nameTaken(sql: Sql, name: string, exceptId = -1): Promise<boolean> {
    return (await sql.query('select 1 from schedules where lower(name) = lower($1) and schedule_id <> $2', [name, exceptId])).length > 0;
  },

  /** A new schedule and its first version (valid from the start of time); null when the name is taken. */
  async insert(sql: Sql, s: SchedulePattern & { name: string; owner_team_id: number | null }): Promise<ScheduleRow | null> {
    const [row] = await sql.query<ScheduleRow>(
      `with made as (
         insert into schedules (name, cycle_weeks, starts_on, grace_minutes, shifts, version, valid_from, owner_team_id, created_at, updated_at)
         values ($1, $2, $3, $4, $5::jsonb, 1, '1900-01-01', $6, now(), now())
         on conflict (name) do nothing returning ${COLUMNS}
       ), v as (
         insert into schedule_versions (schedule_id, version, valid_from, cycle_weeks, starts_on, grace_minutes, shifts, created_at)
         select schedule_id, version, valid_from, cycle_weeks, starts_on, grace_minutes, shifts, now() from made
       )
       select * from made`,
      [s.name, s.cycle_weeks, s.starts_on, s.grace_minutes, JSON.stringify(s.shifts), s.owner_team_id],
    );
    return row ?? null;
  },

  async rename(sql: Sql, id: number, name: string): Promise<ScheduleRow> {
    const [row] = await sql.query<ScheduleRow>(`update schedules set name = $2, updated_at = now() where schedule_id = $1 returning ${COLUMNS}`, [id, name]);
    return row;
  },

  /** A new version of the pattern, applying from `valid_from`: the schedule row shows it, the history keeps it. */
  async addVersion(sql: Sql, id: number, p: SchedulePattern & { valid_from: string }): Promise<ScheduleRow> {
    const [row] = await sql.query<ScheduleRow>(
      `with changed as (
         update schedules set cycle_weeks = $2, starts_on = $3, grace_minutes = $4, shifts = $5::jsonb, valid_from = $6,
                version = version + 1, updated_at = now()
          where schedule_id = $1 returning ${COLUMNS}
       ), v as (
         insert into schedule_versions (schedule_id, version, valid_from, cycle_weeks, starts_on, grace_minutes, shifts, created_at)
         select schedule_id, version, valid_from, cycle_weeks, starts_on, grace_minutes, shifts, now() from changed
       )
       select * from changed`,
      [id, p.cycle_weeks, p.starts_on, p.grace_minutes, JSON.stringify(p.shifts), p.valid_from],
    );
    return row;
  },

  async delete(sql: Sql, id: number): Promise<void> {
    await sql.query('delete from schedules where schedule_id = $1', [id]);
  },

  /** Whether a team or an assignment still uses the schedule. */
  async inUse(sql: Sql, id: number): Promise<{ teams: number; assignments: number }> {
    const [row] = await sql.query<{ teams: string; assignments: string }>(
      `select (select count(*) from teams where schedule_id = $1) as teams, (select count(*) from employee_schedules where schedule_id = $1) as assignments`,
      [id],
    );
    return { teams: Number(row.teams), assignments: Number(row.assignments) };
  },

  /** Every version of these schedules, by schedule id. */
  async versions(sql: Sql, ids: number[]): Promise<Map<number, ScheduleVersion[]>> {
    const out = new Map<number, ScheduleVersion[]>();
    if (!ids.length) return out;
    const rows = await sql.query<Parameters<typeof versionOf>[0]>(
      'select schedule_id, version, valid_from, cycle_weeks, starts_on, grace_minutes, shifts from schedule_versions where schedule_id = any($1::int[]) order by schedule_id, version',
      [ids],
    );
    for (const r of rows) {
      const v = versionOf(r);
      const id = Number(r.schedule_id);
      (out.get(id) ?? out.set(id, []).get(id)!).push(v);
    }
    return out;
  },
};

export const assignments = {
  async list(sql: Sql, employeeId: number): Promise<AssignmentRow[]> {
    return sql.query<AssignmentRow>(
      `select a.assignment_id, a.employee_id, a.schedule_id, s.name as schedule_name, a.valid_from, a.valid_to
         from employee_schedules a join schedules s on s.schedule_id = a.schedule_id
        where a.employee_id = $1 order by a.valid_from, a.assignment_id`,
      [employeeId],
    );
  },

  async get(sql: Sql, employeeId: number, assignmentId: number): Promise<AssignmentRow | null> {
    const [row] = await sql.query<AssignmentRow>(
      `select a.assignment_id, a.employee_id, a.schedule_id, s.name as schedule_name, a.valid_from, a.valid_to
         from employee_schedules a join schedules s on s.schedule_id = a.schedule_id
        where a.employee_id = $1 and a.assignment_id = $2`,
      [employeeId, assignmentId],
    );
    return row ?? null;
  },

  /**
   * Adds an assignment. An open-ended one that started earlier ends the day before; any other overlap is refused
   * ('overlap'). Locks the person's assignments for the time of the transaction.
   */
  async insert(sql: Sql, a: { employee_id: number; schedule_id: number; valid_from: string; valid_to: string | null }): Promise<AssignmentRow | 'overlap'> {
    const existing = await sql.query<{ assignment_id: number; valid_from: string | Date; valid_to: string | Date | null }>(
      'select assignment_id, valid_from, valid_to from employee_schedules where employee_id = $1 for update',
      [a.employee_id],
    );
    const to = a.valid_to ?? '9999-12-31';
    for (const e of existing) {
      const from = dateOnly(e.valid_from);
      const until = e.valid_to ? dateOnly(e.valid_to) : '9999-12-31';
      if (from < a.valid_from && until >= a.valid_from && e.valid_to === null) continue; // ended below
      if (from <= to && until >= a.valid_from) return 'overlap';
    }
    await sql.query(
      `update employee_schedules set valid_to = $2::date - 1 where employee_id = $1 and valid_to is null and valid_from < $2::date`,
      [a.employee_id, a.valid_from],
    );
    const [row] = await sql.query<{ assignment_id: number }>(
      `insert into employee_schedules (employee_id, schedule_id, valid_from, valid_to, created_at) values ($1, $2, $3, $4, now()) returning assignment_id`,
      [a.employee_id, a.schedule_id, a.valid_from, a.valid_to],
    );
    return (await assignments.get(sql, a.employee_id, Number(row.assignment_id)))!;
  },

  async delete(sql: Sql, assignmentId: number): Promise<void> {
    await sql.query('delete from employee_schedules where assignment_id = $1', [assignmentId]);
  },

  /** The assignments of these people, by person. */
  async ofPeople(sql: Sql, employeeIds: number[]): Promise<Map<number, Assignment[]>> {
    const out = new Map<number, Assignment[]>();
    if (!employeeIds.length) return out;
    const rows = await sql.query<{ employee_id: number; schedule_id: number; valid_from: string | Date; valid_to: string | Date | null }>(
      'select employee_id, schedule_id, valid_from, valid_to from employee_schedules where employee_id = any($1::int[])',
      [employeeIds],
    );
    for (const r of rows) {
      const id = Number(r.employee_id);
      (out.get(id) ?? out.set(id, []).get(id)!).push({ schedule_id: Number(r.schedule_id), valid_from: dateOnly(r.valid_from), valid_to: r.valid_to ? dateOnly(r.valid_to) : null });
    }
    return out;
  },

  /** The assignments overlapping a period (of these people, or of everyone), by person. */
  async overlapping(sql: Sql, from: string, to: string, employeeIds: number[] | null): Promise<Map<number, Assignment[]>> {
    const rows = await sql.query<{ employee_id: number; schedule_id: number; valid_from: string | Date; valid_to: string | Date | null }>(
      `select employee_id, schedule_id, valid_from, valid_to from employee_schedules
        where valid_from <= $2 and (valid_to is null or valid_to >= $1) and ($3::int[] is null or employee_id = any($3::int[]))`,
      [from, to, employeeIds],
    );
    const out = new Map<number, Assignment[]>();
    for (const r of rows) {
      const id = Number(r.employee_id);
      (out.get(id) ?? out.set(id, []).get(id)!).push({ schedule_id: Number(r.schedule_id), valid_from: dateOnly(r.valid_from), valid_to: r.valid_to ? dateOnly(r.valid_to) : null });
    }
    return out;
  },

  /** Who has an assignment to a schedule. */
  async peopleOn(sql: Sql, scheduleId: number): Promise<number[]> {
    return (await sql.query<{ employee_id: number }>('select distinct employee_id from employee_schedules where schedule_id = $1', [scheduleId])).map((r) => Number(r.employee_id));
  },
};

export const holidays = {
  async list(sql: Sql, q: { date_from?: string; date_to?: string; team_id?: number; skip: number; limit: number }) {
    const params = [q.date_from ?? null, q.date_to ?? null, q.team_id ?? null];
    const where = `where ($1::date is null or date >= $1::date) and ($2::date is null or date <= $2::date) and ($3::int is null or team_id is null or team_id = $3::int)`;
    const [rows, [{ n }]] = await Promise.all([
      sql.query<HolidayRow>(`select holiday_id, date, name, team_id from holidays ${where} order by date, holiday_id limit $4 offset $5`, [...params, q.limit, q.skip]),
      sql.query<{ n: string }>(`select count(*) as n from holidays ${where}`, params),
    ]);
    return { rows, total: Number(n) };
  },

  async get(sql: Sql, id: number): Promise<HolidayRow | null> {
    const [row] = await sql.query<HolidayRow>('select holiday_id, date, name, team_id from holidays where holiday_id = $1', [id]);
    return row ?? null;
  },

  /** Adds a holiday; null when that day already is one (for the same team, or the whole organisation). */
  async insert(sql: Sql, h: { date: string; name: string; team_id: number | null }): Promise<HolidayRow | null> {
    const [row] = await sql.query<HolidayRow>(
      `insert into holidays (date, name, team_id, created_at) values ($1, $2, $3, now())
       on conflict (date, (coalesce(team_id, 0))) do nothing returning holiday_id, date, name, team_id`,
      [h.date, h.name, h.team_id],
    );
    return row ?? null;
  },

  async delete(sql: Sql, id: number): Promise<void> {
    await sql.query('delete from holidays where holiday_id = $1', [id]);
  },

  /** The holidays between two dates (both included). */
  async between(sql: Sql, from: string, to: string): Promise<Holiday[]> {
    return (await sql.query<HolidayRow>('select holiday_id, date, name, team_id from holidays where date between $1 and $2', [from, to])).map(holidayOf);
  },
};
