import type { Access } from '../../infra/context.ts';
import type { Sql, Statement } from '../../infra/db.ts';
import { filterConditions, whereClause, type ColumnMap, type Condition } from '../../infra/sql-where.ts';

/** Every statement on `employees`. */
/** The fields of an employee that a create or an update writes. */
export type EmployeeFields = {
  name: string;
  email: string;
  team_id: number | null;
  role: string | null;
  access: Access;
  badge_id: string | null;
  employee_number: string | null;
  active: boolean;
};

/** `has_pin`: whether a kiosk PIN is set (its hash is never read with the rest). */
export type EmployeeRow = EmployeeFields & { employee_id: number; has_pin: boolean; created_at: string | Date; updated_at: string | Date };

const COLUMNS = 'employee_id, name, email, team_id, role, access, badge_id, employee_number, pin_hash is not null as has_pin, active, created_at, updated_at';

/** The directory's filters, on the columns of `employees`. */
const FILTERS: ColumnMap<'team_id' | 'access' | 'active'> = {
  team_id: ['team_id', '='],
  access: ['access', '='],
  active: ['active', '='],
};

/** `%text%` for ILIKE, with the pattern characters of `text` taken literally. */
const containing = (text: string) => `%${text.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;

/** What a token check needs of its person. */
export type Principal = { employee_id: number; access: Access; active: boolean; name: string; team_id: number | null; token_version: number };

/** What a bearer token's check reads on every authenticated request: the person, by primary key. */
export const principalStatement = (employeeId: number): Statement => ({
  text: 'select employee_id, access, active, name, team_id, token_version from employees where employee_id = $1 limit 1',
  values: [employeeId],
});

/** Name, team and state of a person (for the records that refer to them). */
export const ownerStatement = (employeeId: number): Statement => ({
  text: 'select employee_id, name, team_id, active from employees where employee_id = $1',
  values: [employeeId],
});

export const employees = {
  async list(sql: Sql, filter: { team_id?: number; access?: string; active?: boolean; q?: string }, page: { skip: number; limit: number }) {
    const conditions: Condition[] = filterConditions(FILTERS, filter);
    if (filter.q) conditions.push({ any: [{ column: 'name', op: 'ilike', value: containing(filter.q) }, { column: 'email', op: 'ilike', value: containing(filter.q) }] });
    const where = whereClause(conditions);
    const n = where.params.length;
    const [rows, [{ total }]] = await Promise.all([
      sql.query<EmployeeRow>(`select ${COLUMNS} from employees ${where.text} order by employee_id limit $${n + 1} offset $${n + 2}`, [...where.params, page.limit, page.skip]),
      sql.query<{ total: string }>(`select count(*) as total from employees ${where.text}`, where.params),
    ]);
    return { rows, total: Number(total) };
  },

  async get(sql: Sql, employeeId: number, opts: { lock?: boolean } = {}): Promise<EmployeeRow | null> {
    const [row] = await sql.query<EmployeeRow>(`select ${COLUMNS} from employees where employee_id = $1${opts.lock ? ' for update' : ''}`, [employeeId]);
    return row ?? null;
  },

  /** Name, team and state of a person (for the records that refer to them). */
  async owner(sql: Sql, employeeId: number): Promise<{ employee_id: number; name: string; team_id: number | null; active: boolean } | null> {
    const s = ownerStatement(employeeId);
    const [row] = await sql.query<{ employee_id: number; name: string; team_id: number | null; active: boolean }>(s.text, s.values);
    return row ? { employee_id: Number(row.employee_id), name: row.name, team_id: row.team_id == null ? null : Number(row.team_id), active: row.active } : null;
  },

  /** Team and name of each of these people. */
  async teamsOf(sql: Sql, employeeIds: number[]): Promise<Map<number, { name: string; team_id: number | null; active: boolean }>> {
    if (!employeeIds.length) return new Map();
    const rows = await sql.query<{ employee_id: number; name: string; team_id: number | null; active: boolean }>(
      'select employee_id, name, team_id, active from employees where employee_id = any($1::int[])',
      [employeeIds],
    );
    return new Map(rows.map((r) => [Number(r.employee_id), { name: r.name, team_id: r.team_id == null ? null : Number(r.team_id), active: r.active }]));
  },

  /** The active members of these teams (or of every team: null), by id. */
  async membersOf(sql: Sql, teamIds: number[] | null): Promise<{ employee_id: number; name: string; team_id: number }[]> {
    const rows = await sql.query<{ employee_id: number; name: string; team_id: number }>(
      'select employee_id, name, team_id from employees where active and team_id is not null and ($1::int[] is null or team_id = any($1::int[])) order by employee_id',
      [teamIds],
    );
    return rows.map((r) => ({ employee_id: Number(r.employee_id), name: r.name, team_id: Number(r.team_id) }));
  },

  /** What a bearer token's check reads on every authenticated request (by primary key, with a bind parameter). */
  async principal(sql: Sql, employeeId: number): Promise<Principal | null> {
    const s = principalStatement(employeeId);
    const [row] = await sql.query<Principal>(s.text, s.values, 'employee_principal');
    return row ?? null;
  },

  /** The sign-in's view of an account (email stored lower-cased). */
  async credentials(sql: Sql, email: string) {
    const [row] = await sql.query<{ employee_id: number; access: Access; active: boolean; password_hash: string; token_version: number }>(
      'select employee_id, access, active, password_hash, token_version from employees where email = $1',
      [email],
    );
    return row ? { ...row, employee_id: Number(row.employee_id), token_version: Number(row.token_version) } : null;
  },

  /** The current rights of the given people, for the open sockets' sweep (active ones only). */
  async principals(sql: Sql, employeeIds: number[]): Promise<Map<number, Principal>> {
    if (!employeeIds.length) return new Map();
    const rows = await sql.query<Principal>(
      'select employee_id, access, active, name, team_id, token_version from employees where active and employee_id = any($1::int[])',
      [employeeIds],
    );
    return new Map(rows.map((r) => [Number(r.employee_id), { ...r, employee_id: Number(r.employee_id), team_id: r.team_id == null ? null : Number(r.team_id), token_version: Number(r.token_version) }]));
  },

  async emailTaken(sql: Sql, email: string, exceptId = -1): Promise<boolean> {
    return (await sql.query('select 1 from employees where email = $1 and employee_id <> $2', [email, exceptId])).length > 0;
  },

  async badgeTaken(sql: Sql, badge: string, exceptId = -1): Promise<boolean> {
    return (await sql.query('select 1 from employees where badge_id = $1 and employee_id <> $2', [badge, exceptId])).length > 0;
  },

  async employeeNumberTaken(sql: Sql, employeeNumber: string, exceptId = -1): Promise<boolean> {
    return (await sql.query('select 1 from employees where employee_number = $1 and employee_id <> $2', [employeeNumber, exceptId])).length > 0;
  },

  /** What a kiosk PIN is checked against: the person of this employee number (stored upper-cased) and their PIN's hash. */
  async pinCredentials(sql: Sql, employeeNumber: string): Promise<{ employee_id: number; pin_hash: string | null } | null> {
    const [row] = await sql.query<{ employee_id: number; pin_hash: string | null }>(
      'select employee_id, pin_hash from employees where employee_number = $1',
      [employeeNumber],
    );
    return row ? { employee_id: Number(row.employee_id), pin_hash: row.pin_hash } : null;
  },

  /** Sets (or, with null, clears) a person's kiosk PIN hash; false when there is no such person. */
  async setPin(sql: Sql, employeeId: number, pinHash: string | null): Promise<boolean> {
    return (await sql.query('update employees set pin_hash = $2, updated_at = now() where employee_id = $1 returning 1', [employeeId, pinHash])).length > 0;
  },

  /** The password hash and email of a person, for a change they confirm with their password. */
  async passwordOf(sql: Sql, employeeId: number): Promise<{ email: string; password_hash: string; active: boolean } | null> {
    const [row] = await sql.query<{ email: string; password_hash: string; active: boolean }>(
      'select email, password_hash, active from employees where employee_id = $1',
      [employeeId],
    );
    return row ?? null;
  },

  /** A person with their team's settings, for their own page. */
  async profile(sql: Sql, employeeId: number) {
    const [row] = await sql.query<{
      employee_id: number; name: string; email: string; access: Access; role: string | null; team_id: number | null; team_name: string | null;
      timezone: string | null; web_punch: boolean | null; employee_number: string | null; has_pin: boolean; has_badge: boolean;
    }>(
      `select e.employee_id, e.name, e.email, e.access, e.role, e.team_id, t.team_name, t.timezone, t.web_punch, e.employee_number,
              e.pin_hash is not null as has_pin, e.badge_id is not null as has_badge
         from employees e left join teams t on t.team_id = e.team_id where e.employee_id = $1`,
      [employeeId],
    );
    return row ?? null;
  },

  /** Active people with a badge (of one team, or of every team and none: null), by badge: a kiosk's offline names. */
  async badgeHolders(sql: Sql, teamId: number | null): Promise<{ badge_id: string; name: string }[]> {
    return sql.query<{ badge_id: string; name: string }>(
      'select badge_id, name from employees where active and badge_id is not null and ($1::int is null or team_id = $1::int) order by badge_id',
      [teamId],
    );
  },

  async activeAdmins(sql: Sql, exceptId = -1): Promise<number> {
    const [{ n }] = await sql.query<{ n: string }>("select count(*) as n from employees where access = 'admin' and active and employee_id <> $1", [exceptId]);
    return Number(n);
  },

  async insert(sql: Sql, fields: EmployeeFields & { password_hash: string; pin_hash: string | null }): Promise<EmployeeRow> {
    const [row] = await sql.query<EmployeeRow>(
      `insert into employees (name, email, team_id, role, access, password_hash, badge_id, active, employee_number, pin_hash, created_at, updated_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, now(), now()) returning ${COLUMNS}`,
      [fields.name, fields.email, fields.team_id, fields.role, fields.access, fields.password_hash, fields.badge_id, fields.active, fields.employee_number, fields.pin_hash],
    );
    return row;
  },

  /**
   * Writes every field; a new password hash when given; a new PIN hash when `pin_hash` is given (null: no PIN,
   * undefined: unchanged); the token version raised when `revoke`.
   */
  async update(sql: Sql, employeeId: number, fields: EmployeeFields, extra: { password_hash?: string; pin_hash?: string | null; revoke: boolean }): Promise<EmployeeRow> {
    const [row] = await sql.query<EmployeeRow>(
      `update employees
          set name = $2, email = $3, team_id = $4, role = $5, access = $6, badge_id = $7, active = $8,
              password_hash = coalesce($9, password_hash), token_version = token_version + $10, employee_number = $11,
              pin_hash = case when $12::boolean then $13::text else pin_hash end, updated_at = now()
        where employee_id = $1 returning ${COLUMNS}`,
      [
        employeeId, fields.name, fields.email, fields.team_id, fields.role, fields.access, fields.badge_id, fields.active, extra.password_hash ?? null, extra.revoke ? 1 : 0,
        fields.employee_number, extra.pin_hash !== undefined, extra.pin_hash ?? null,
      ],
    );
    return row;
  },

  /** Refuses every token issued so far: true when the person exists. */
  async revokeTokens(sql: Sql, employeeId: number): Promise<boolean> {
    return (await sql.query('update employees set token_version = token_version + 1, updated_at = now() where employee_id = $1 returning 1', [employeeId])).length > 0;
  },

  async delete(sql: Sql, employeeId: number): Promise<void> {
    await sql.query('delete from employees where employee_id = $1', [employeeId]);
  },

  /** Creates the admin account, or makes the existing account of that email an active admin with this password. */
  async upsertAdmin(sql: Sql, email: string, passwordHash: string): Promise<void> {
    await sql.query(
      `insert into employees (name, email, role, access, password_hash, active, created_at, updated_at)
       values ('Administrator', $1, 'Administrator', 'admin', $2, true, now(), now())
       on conflict (email) do update set access = 'admin', active = true, password_hash = excluded.password_hash, updated_at = now()`,
      [email, passwordHash],
    );
  },

  /** Active people by (part of) their name or in a team, for lookups by name. */
  async activeWithTeams(sql: Sql, teamId?: number) {
    const rows = await sql.query<{ employee_id: number; name: string; team_id: number | null; team_name: string | null; role: string | null }>(
      `select e.employee_id, e.name, e.team_id, t.team_name, e.role
         from employees e left join teams t on t.team_id = e.team_id
        where e.active and ($1::int is null or e.team_id = $1::int)`,
      [teamId ?? null],
    );
    return rows.map((r) => ({ ...r, employee_id: Number(r.employee_id), team_id: r.team_id == null ? null : Number(r.team_id) }));
  },

  /** One person with their team's name. */
  async withTeam(sql: Sql, employeeId: number) {
    const [row] = await sql.query<{ employee_id: number; name: string; team_name: string | null; role: string | null }>(
      'select e.employee_id, e.name, t.team_name, e.role from employees e left join teams t on t.team_id = e.team_id where e.employee_id = $1',
      [employeeId],
    );
    return row ? { ...row, employee_id: Number(row.employee_id) } : null;
  },
};
