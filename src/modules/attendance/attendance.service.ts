import type { Ctx } from '../../infra/context.ts';
import { sqlOf, type Em } from '../../infra/db.ts';
import { AppError, conflict, forbidden, notFound, uniqueViolation, validationError, type FieldError } from '../../infra/errors.ts';
import { addDays, zonedTimeToInstant } from '../../infra/time.ts';
import { canCorrect, canSeeTeam, selfCorrection, type Person } from '../auth/policy.ts';
import { recordAudit } from '../audit/index.ts';
import { assertCanSee } from '../employees/index.ts';
import type { AttendanceCreateInput, AttendanceUpdateInput } from './attendance.schema.ts';
import { findRecordRow, RECORD_COLUMNS, recordDto, withoutMissingNote, type RecordDto, type RecordRow } from './attendance.records.ts';

export type RecordFilter = {
  skip: number;
  limit: number;
  date_from?: string;
  date_to?: string;
  status?: string;
  employee_id?: number;
  team_id?: number;
};

type Owner = { employee_id: number; name: string; team_id: number | null; active: boolean };

async function findOwner(em: Em, employeeId: number): Promise<Owner | null> {
  const rows = await em.execute<Owner[]>('select employee_id, name, team_id, active from employees where employee_id = ?', [employeeId]);
  return rows[0] ?? null;
}

/** Admins may change any record; managers those of their team, except their own (separation of duties). */
function assertCanCorrect(ctx: Ctx, person: Person) {
  const user = ctx.user!;
  if (canCorrect(user, person)) return;
  if (user.employee_id === person.employee_id && canSeeTeam(user, person.team_id)) throw selfCorrection();
  throw forbidden('Managers may only correct records of their own team');
}

/**
 * A record's times fall within its local day: the check-in on that day, the check-out from its start until
 * MAX_SHIFT_HOURS into the next (a shift across midnight). A record dated 2020-01-08 with a check-in in 2031 is 422.
 */
function assertTimesWithinDay(config: Ctx['config'], date: string, times: { check_in_time?: Date | string | null; check_out_time?: Date | string | null }) {
  const tz = config.timezone;
  const start = zonedTimeToInstant(date, '00:00', tz).getTime();
  const end = zonedTimeToInstant(addDays(date, 1), '00:00', tz).getTime();
  const latestOut = end + config.punch.maxShiftHours * 3_600_000;
  const fields: FieldError[] = [];
  const at = (t: Date | string | null | undefined) => (t == null ? null : new Date(t).getTime());
  const cin = at(times.check_in_time);
  const cout = at(times.check_out_time);
  if (cin !== null && (cin < start || cin >= end)) {
    fields.push({ loc: ['body', 'check_in_time'], msg: `check_in_time must fall on ${date} (${tz})`, type: 'value_error.out_of_day' });
  }
  if (cout !== null && (cout < start || cout > latestOut)) {
    fields.push({
      loc: ['body', 'check_out_time'],
      msg: `check_out_time must fall on ${date} or within ${config.punch.maxShiftHours} hours after it (${tz})`,
      type: 'value_error.out_of_day',
    });
  }
  if (fields.length) throw validationError(fields);
}

type Scope = { sql: string; params: unknown[] } | null;

/** The WHERE clause of a filtered attendance query (columns of `attendance`, optionally aliased). */
export function recordWhere(filter: Omit<RecordFilter, 'skip' | 'limit'>, scope: Scope, alias = '') {
  const col = (name: string) => `${alias}${name}`;
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.date_from) (where.push(`${col('attendance_date')} >= ?`), params.push(filter.date_from));
  if (filter.date_to) (where.push(`${col('attendance_date')} <= ?`), params.push(filter.date_to));
  if (filter.status) (where.push(`${col('status')} = ?`), params.push(filter.status));
  if (filter.employee_id) (where.push(`${col('employee_id')} = ?`), params.push(filter.employee_id));
  if (filter.team_id) (where.push(`${col('team_id')} = ?`), params.push(filter.team_id));
  if (scope) (where.push(scope.sql.replace(/\b(team_id|employee_id)\b/g, (m) => col(m))), params.push(...scope.params));
  return { clause: where.length ? `where ${where.join(' and ')}` : '', params };
}

/** What the caller may read: everything (admin), their team's and their own (manager), their own (employee). */
export function readScope(ctx: Ctx): Scope {
  const user = ctx.user!;
  if (user.access === 'admin') return null;
  if (user.access === 'manager') return { sql: '(team_id = ? or employee_id = ?)', params: [user.team_id ?? -1, user.employee_id] };
  return { sql: 'employee_id = ?', params: [user.employee_id] };
}

/** `?` placeholders → `$1`, `$2` … (the clauses built here have no `?` inside literals). */
export function numbered(sql: string) {
  let n = 0;
  return { text: sql.replace(/\?/g, () => `$${++n}`), count: n };
}

/**
 * Runs a filtered, paginated query over attendance; `scope` narrows it to what the caller may read.
 * The list endpoints' statements go straight to the driver with bind parameters (sqlOf): through the ORM's
 * `execute`, which inlines every value, they cost more in the hub (and in its garbage collector) than in PostgreSQL.
 */
async function queryRecords(em: Em, filter: RecordFilter, scope: Scope) {
  const { clause, params } = recordWhere(filter, scope);
  const where = numbered(clause);
  const sql = sqlOf(em);
  const [rows, count] = await Promise.all([
    sql.query<RecordRow>(
      `select ${RECORD_COLUMNS} from attendance ${where.text} order by attendance_date desc, record_id desc limit $${where.count + 1} offset $${where.count + 2}`,
      [...params, filter.limit, filter.skip],
    ),
    sql.query<{ total: string | number }>(`select count(*) as total from attendance ${where.text}`, params),
  ]);
  return { items: rows.map(recordDto), total: Number(count[0].total) };
}

/** Every record the caller may read, filtered. Employees see their own; managers their team's and their own. */
export function listRecords(ctx: Ctx, filter: RecordFilter) {
  return queryRecords(ctx.em, filter, readScope(ctx));
}

export async function listEmployeeRecords(ctx: Ctx, employeeId: number, filter: RecordFilter) {
  // An employee learns nothing about ids that are not theirs: unknown or someone else's, the same 403.
  if (ctx.user?.access === 'employee' && employeeId !== ctx.user.employee_id) throw forbidden('You may only read your own attendance');
  const [owner] = await sqlOf(ctx.em).query<Owner>('select employee_id, name, team_id, active from employees where employee_id = $1', [employeeId]);
  if (!owner) throw notFound('Employee', employeeId);
  assertCanSee(ctx, owner);
  return queryRecords(ctx.em, { ...filter, employee_id: employeeId, team_id: undefined }, null);
}

export async function listTeamRecords(ctx: Ctx, teamId: number, filter: RecordFilter) {
  const exists = await sqlOf(ctx.em).query('select 1 from teams where team_id = $1', [teamId]);
  if (!exists.length) throw notFound('Team', teamId);
  const user = ctx.user!;
  if (user.access !== 'admin' && !(user.access === 'manager' && user.team_id === teamId)) {
    throw forbidden('Only admins and the team’s managers may read a team’s attendance');
  }
  return queryRecords(ctx.em, { ...filter, team_id: teamId, employee_id: undefined }, null);
}

export async function getRecord(ctx: Ctx, recordId: number): Promise<RecordDto> {
  const row = await findRecordRow(ctx.em, recordId);
  if (ctx.user?.access === 'employee' && (!row || Number(row.employee_id) !== ctx.user.employee_id)) throw forbidden('You may not read this record');
  if (!row) throw notFound('Attendance record', recordId);
  const user = ctx.user!;
  const ok =
    user.access === 'admin' ||
    Number(row.employee_id) === user.employee_id ||
    (user.access === 'manager' && user.team_id !== null && Number(row.team_id) === user.team_id);
  if (!ok) throw forbidden('You may not read this record');
  return recordDto(row);
}

const checkOutGiven = (input: AttendanceUpdateInput, row: RecordRow) =>
  Boolean(row.missing_check_out) && (input.check_out_time !== undefined ? input.check_out_time !== null : row.check_out_time !== null);

const duplicateDay = (employeeId: number, date: string) =>
  conflict('duplicate_record', `Employee ${employeeId} already has a record for ${date}`);

function publish(ctx: Ctx, action: 'created' | 'updated' | 'deleted', owner: Owner, record: RecordDto) {
  ctx.bus.publish('attendance.changed', {
    action,
    team_id: record.team_id,
    employee: { employee_id: owner.employee_id, name: owner.name },
    record,
  });
}

export async function createRecord(ctx: Ctx, input: AttendanceCreateInput): Promise<RecordDto> {
  const owner = await findOwner(ctx.em, input.employee_id);
  if (!owner) {
    throw validationError([{ loc: ['body', 'employee_id'], msg: `employee ${input.employee_id} does not exist`, type: 'value_error.foreign_key' }]);
  }
  assertCanCorrect(ctx, owner);
  assertTimesWithinDay(ctx.config, input.attendance_date, input);
  try {
    const record = await ctx.em.transactional(async (em) => {
      const [row] = await em.execute<RecordRow[]>(
        `insert into attendance (employee_id, team_id, attendance_date, status, check_in_time, check_out_time, notes, source, created_at, updated_at)
         values (?, ?, ?, ?, ?, ?, ?, ?, now(), now())
         on conflict (employee_id, attendance_date) do nothing returning ${RECORD_COLUMNS}`,
        [owner.employee_id, owner.team_id, input.attendance_date, input.status, input.check_in_time, input.check_out_time, input.notes, input.source],
      );
      if (!row) throw duplicateDay(owner.employee_id, input.attendance_date);
      const dto = recordDto(row);
      recordAudit(em, ctx, { entity_type: 'attendance', entity_id: dto.record_id, action: 'create', after: dto });
      return dto;
    });
    publish(ctx, 'created', owner, record);
    return record;
  } catch (error) {
    if (uniqueViolation(error)) throw duplicateDay(owner.employee_id, input.attendance_date);
    throw error;
  }
}

export async function updateRecord(ctx: Ctx, recordId: number, input: AttendanceUpdateInput): Promise<RecordDto> {
  let owner: Owner | null = null;
  try {
    const record = await ctx.em.transactional(async (em) => {
      const [row] = await em.execute<RecordRow[]>(`select ${RECORD_COLUMNS} from attendance where record_id = ? for update`, [recordId]);
      if (!row) throw notFound('Attendance record', recordId);
      const before = recordDto(row);
      assertCanCorrect(ctx, { employee_id: before.employee_id, team_id: before.team_id });
      owner = await findOwner(em, before.employee_id);
      const next = {
        attendance_date: input.attendance_date ?? before.attendance_date,
        status: input.status ?? before.status,
        check_in_time: input.check_in_time !== undefined ? input.check_in_time : row.check_in_time,
        check_out_time: input.check_out_time !== undefined ? input.check_out_time : row.check_out_time,
        // A check-out closes the end-of-day flag, and the note it added goes with it (unless new notes are given).
        notes: input.notes !== undefined ? input.notes : checkOutGiven(input, row) ? withoutMissingNote(before.notes) : before.notes,
      };
      assertTimesWithinDay(ctx.config, next.attendance_date, next);
      if (next.check_in_time && next.check_out_time && new Date(next.check_out_time) < new Date(next.check_in_time)) {
        throw validationError([{ loc: ['body', 'check_out_time'], msg: 'check_out_time must not be before check_in_time', type: 'value_error' }]);
      }
      const [updated] = await em.execute<RecordRow[]>(
        `update attendance set attendance_date = ?, status = ?, check_in_time = ?, check_out_time = ?, notes = ?,
                missing_check_out = missing_check_out and ?::timestamptz is null, updated_at = clock_timestamp()
          where record_id = ? returning ${RECORD_COLUMNS}`,
        [next.attendance_date, next.status, next.check_in_time, next.check_out_time, next.notes, next.check_out_time, recordId],
      );
      const after = recordDto(updated);
      recordAudit(em, ctx, { entity_type: 'attendance', entity_id: recordId, action: 'update', before, after });
      return after;
    });
    publish(ctx, 'updated', owner!, record);
    return record;
  } catch (error) {
    if (uniqueViolation(error)) throw conflict('duplicate_record', `The employee already has a record for ${input.attendance_date}`);
    throw error;
  }
}

export async function deleteRecord(ctx: Ctx, recordId: number) {
  let owner: Owner | null = null;
  const before = await ctx.em.transactional(async (em) => {
    const row = await findRecordRow(em, recordId);
    if (!row) throw notFound('Attendance record', recordId);
    const dto = recordDto(row);
    if (ctx.user?.access !== 'admin') throw new AppError(403, 'forbidden', 'Only admins may delete attendance records');
    owner = await findOwner(em, dto.employee_id);
    await em.execute('delete from attendance where record_id = ?', [recordId]);
    recordAudit(em, ctx, { entity_type: 'attendance', entity_id: recordId, action: 'delete', before: dto });
    return dto;
  });
  publish(ctx, 'deleted', owner!, before);
}
