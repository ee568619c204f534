import type { Sql, Statement } from '../../infra/db.ts';

/** Every statement on `teams`. */

export type TeamRow = {
  team_id: number;
  team_name: string;
  workday_start: string;
  grace_minutes: number;
  working_weekdays: number[] | string;
  created_at: string | Date;
  updated_at: string | Date;
};

const COLUMNS = 'team_id, team_name, workday_start, grace_minutes, working_weekdays, created_at, updated_at';

export type TeamFields = { team_name: string; workday_start: string; grace_minutes: number; working_weekdays: number[] };

export const teamExistsStatement = (teamId: number): Statement => ({ text: 'select 1 from teams where team_id = $1', values: [teamId] });

export const teams = {
  async list(sql: Sql, where: { team_id?: number | null }, page: { skip: number; limit: number }) {
    const only = where.team_id !== undefined;
    const filter = only ? 'where team_id = $3' : '';
    const params = only ? [page.limit, page.skip, where.team_id ?? -1] : [page.limit, page.skip];
    const [rows, [{ n }]] = await Promise.all([
      sql.query<TeamRow>(`select ${COLUMNS} from teams ${filter} order by team_id limit $1 offset $2`, params),
      sql.query<{ n: string }>(`select count(*) as n from teams ${only ? 'where team_id = $1' : ''}`, only ? [where.team_id ?? -1] : []),
    ]);
    return { rows, total: Number(n) };
  },

  async get(sql: Sql, teamId: number, opts: { lock?: boolean } = {}): Promise<TeamRow | null> {
    const [row] = await sql.query<TeamRow>(`select ${COLUMNS} from teams where team_id = $1${opts.lock ? ' for update' : ''}`, [teamId]);
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

  async nameTaken(sql: Sql, name: string, exceptId?: number): Promise<boolean> {
    return (await sql.query('select 1 from teams where team_name = $1 and team_id <> $2', [name, exceptId ?? -1])).length > 0;
  },

  /** Every team id, in order. */
  async ids(sql: Sql): Promise<number[]> {
    return (await sql.query<{ team_id: number }>('select team_id from teams order by team_id')).map((r) => Number(r.team_id));
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
    const [row] = await sql.query<TeamRow>(
      `insert into teams (team_name, workday_start, grace_minutes, working_weekdays, created_at, updated_at)
       values ($1, $2, $3, $4::jsonb, now(), now()) on conflict (team_name) do nothing returning ${COLUMNS}`,
      [fields.team_name, fields.workday_start, fields.grace_minutes, JSON.stringify(fields.working_weekdays)],
    );
    return row ?? null;
  },

  async update(sql: Sql, teamId: number, fields: TeamFields): Promise<TeamRow> {
    const [row] = await sql.query<TeamRow>(
      `update teams set team_name = $2, workday_start = $3, grace_minutes = $4, working_weekdays = $5::jsonb, updated_at = now()
        where team_id = $1 returning ${COLUMNS}`,
      [teamId, fields.team_name, fields.workday_start, fields.grace_minutes, JSON.stringify(fields.working_weekdays)],
    );
    return row;
  },

  async delete(sql: Sql, teamId: number): Promise<void> {
    await sql.query('delete from teams where team_id = $1', [teamId]);
  },
};
