import type { Sql, Statement } from '../../infra/db.ts';
import type { MissingCheckOutPolicy } from './team.entity.ts';

/** Every statement on `teams` (a team's schedule is read beside it, for the fields that describe its hours). */

export type TeamRow = {
  team_id: number;
  team_name: string;
  schedule_id: number | null;
  timezone: string | null;
  weekly_hours: string | number;
  missing_check_out: MissingCheckOutPolicy;
  web_punch: boolean;
  created_at: string | Date;
  updated_at: string | Date;
  /** The team's schedule: its current grace and shifts (null: the standard week). */
  schedule_grace: number | null;
  schedule_shifts: unknown;
};

const COLUMNS = 't.team_id, t.team_name, t.schedule_id, t.timezone, t.weekly_hours, t.missing_check_out, t.web_punch, t.created_at, t.updated_at';
const WITH_SCHEDULE = `select ${COLUMNS}, s.grace_minutes as schedule_grace, s.shifts as schedule_shifts from teams t left join schedules s on s.schedule_id = t.schedule_id`;

export type TeamFields = { team_name: string; schedule_id: number | null; timezone: string | null; weekly_hours: number; missing_check_out: MissingCheckOutPolicy; web_punch: boolean };

export const teamExistsStatement = (teamId: number): Statement => ({ text: 'select 1 from teams where team_id = $1', values: [teamId] });

export const teams = {
  async list(sql: Sql, where: { team_id?: number | null }, page: { skip: number; limit: number }) {
    const only = where.team_id !== undefined;
    const filter = only ? 'where t.team_id = $3' : '';
    const params = only ? [page.limit, page.skip, where.team_id ?? -1] : [page.limit, page.skip];
    const [rows, [{ n }]] = await Promise.all([
      sql.query<TeamRow>(`${WITH_SCHEDULE} ${filter} order by t.team_id limit $1 offset $2`, params),
      sql.query<{ n: string }>(`select count(*) as n from teams ${only ? 'where team_id = $1' : ''}`, only ? [where.team_id ?? -1] : []),
    ]);
    return { rows, total: Number(n) };
  },

  async get(sql: Sql, teamId: number, opts: { lock?: boolean } = {}): Promise<TeamRow | null> {
    const [row] = await sql.query<TeamRow>(`${WITH_SCHEDULE} where t.team_id = $1${opts.lock ? ' for update of t' : ''}`, [teamId]);
    return row ?? null;
  },

  async exists(sql: Sql, teamId: number): Promise<boolean> {
    const s = teamExistsStatement(teamId);
    return (await sql.query(s.text, s.values)).length > 0;
  },

  async name(sql: Sql, teamId: number): Promise<string | null> {
    const [row] = await sql.query<{ team_name: string }>('select team_name from teams where team_id = $1', [teamId]);
    return row?.team_name ?? null;
  },

  /** The settings the working day of a team's members depends on. */
  async settings(sql: Sql, teamId: number): Promise<{ team_name: string; schedule_id: number | null; timezone: string | null; weekly_hours: number; missing_check_out: MissingCheckOutPolicy } | null> {
    const [row] = await sql.query<{ team_name: string; schedule_id: number | null; timezone: string | null; weekly_hours: string; missing_check_out: MissingCheckOutPolicy }>(
      'select team_name, schedule_id, timezone, weekly_hours, missing_check_out from teams where team_id = $1',
      [teamId],
    );
    return row ? { ...row, schedule_id: row.schedule_id == null ? null : Number(row.schedule_id), weekly_hours: Number(row.weekly_hours) } : null;
  },

  /** Every team's working-day settings. */
  async allSettings(sql: Sql): Promise<{ team_id: number; team_name: string; schedule_id: number | null; timezone: string | null; weekly_hours: number; missing_check_out: MissingCheckOutPolicy }[]> {
    const rows = await sql.query<{ team_id: number; team_name: string; schedule_id: number | null; timezone: string | null; weekly_hours: string; missing_check_out: MissingCheckOutPolicy }>(
      'select team_id, team_name, schedule_id, timezone, weekly_hours, missing_check_out from teams order by team_id',
    );
    return rows.map((r) => ({ ...r, team_id: Number(r.team_id), schedule_id: r.schedule_id == null ? null : Number(r.schedule_id), weekly_hours: Number(r.weekly_hours) }));
  },

  async nameTaken(sql: Sql, name: string, exceptId?: number): Promise<boolean> {
    return (await sql.query('select 1 from teams where team_name = $1 and team_id <> $2', [name, exceptId ?? -1])).length > 0;
  },

  /** Every team id, in order. */
  async ids(sql: Sql): Promise<number[]> {
    return (await sql.query<{ team_id: number }>('select team_id from teams order by team_id')).map((r) => Number(r.team_id));
  },

  /** The teams that follow a schedule by default. */
  async onSchedule(sql: Sql, scheduleId: number): Promise<number[]> {
    return (await sql.query<{ team_id: number }>('select team_id from teams where schedule_id = $1', [scheduleId])).map((r) => Number(r.team_id));
  },

  /** Every team with its number of active members, by name. */
  async withSizes(sql: Sql) {
    const rows = await sql.query<{ team_id: number; team_name: string; members: string }>(
      `select t.team_id, t.team_name, count(e.employee_id) filter (where e.active) as members
         from teams t left join employees e on e.team_id = t.team_id group by t.team_id order by t.team_name`,
    );
    return rows.map((r) => ({ team_id: Number(r.team_id), team_name: r.team_name, members: Number(r.members) }));
  },

  /** Inserts a team; null when the name is taken. */
  async insert(sql: Sql, fields: TeamFields): Promise<TeamRow | null> {
    const [made] = await sql.query<{ team_id: number }>(
      `insert into teams (team_name, schedule_id, timezone, weekly_hours, missing_check_out, web_punch, created_at, updated_at)
       values ($1, $2, $3, $4, $5, $6, now(), now()) on conflict (team_name) do nothing returning team_id`,
      [fields.team_name, fields.schedule_id, fields.timezone, fields.weekly_hours, fields.missing_check_out, fields.web_punch],
    );
    return made ? teams.get(sql, Number(made.team_id)) : null;
  },

  async update(sql: Sql, teamId: number, fields: TeamFields): Promise<TeamRow> {
    await sql.query(
      `update teams set team_name = $2, schedule_id = $3, timezone = $4, weekly_hours = $5, missing_check_out = $6, web_punch = $7, updated_at = now() where team_id = $1`,
      [teamId, fields.team_name, fields.schedule_id, fields.timezone, fields.weekly_hours, fields.missing_check_out, fields.web_punch],
    );
    return (await teams.get(sql, teamId))!;
  },

  async delete(sql: Sql, teamId: number): Promise<void> {
    await sql.query('delete from teams where team_id = $1', [teamId]);
  },
};
