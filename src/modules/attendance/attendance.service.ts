import type { Ctx } from '../../infra/context.ts';
import { sqlOf, type Sql } from '../../infra/db.ts';
import { conflict, forbidden, notFound, uniqueViolation, validationError, type FieldError } from '../../infra/errors.ts';
import { addDays, zonedTimeToInstant } from '../../infra/time.ts';
import { recordAudit } from '../audit/index.ts';
import { canCorrect, canDeleteRecords, canSeePerson, canSeeTeam, readScope, seesOnlyThemselves, selfCorrection, type Person } from '../auth/index.ts';
import { employees } from '../employees/index.ts';
import { teams } from '../teams/index.ts';
import { attendance, type RecordFilter } from './attendance.repository.ts';
import type { AttendanceCreateInput, AttendanceUpdateInput } from './attendance.schema.ts';
import { recordDto, withoutMissingNote, type RecordDto, type RecordRow } from './attendance.records.ts';

export type { RecordFilter };
type Page = { skip: number; limit: number };

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

const page = (rows: RecordRow[], total: number) => ({ items: rows.map(recordDto), total });

/** Every record the caller may read, filtered. Employees see their own; managers their team's and their own. */
export async function listRecords(ctx: Ctx, filter: RecordFilter & Page) {
  const { rows, total } = await attendance.list(sqlOf(ctx.em), filter, readScope(ctx.user!));
  return page(rows, total);
}

export async function listEmployeeRecords(ctx: Ctx, employeeId: number, filter: RecordFilter & Page) {
  const user = ctx.user!;
  // An employee learns nothing about ids that are not theirs: unknown or someone else's, the same 403.
  if (seesOnlyThemselves(user) && employeeId !== user.employee_id) throw forbidden('You may only read your own attendance');
  const db = sqlOf(ctx.em);
  const owner = await employees.owner(db, employeeId);
  if (!owner) throw notFound('Employee', employeeId);
  if (!canSeePerson(user, owner)) throw forbidden('You may only see employees of your own team');
  const { rows, total } = await attendance.list(db, { ...filter, employee_id: employeeId, team_id: undefined }, { kind: 'all' });
  return page(rows, total);
}

export async function listTeamRecords(ctx: Ctx, teamId: number, filter: RecordFilter & Page) {
  const db = sqlOf(ctx.em);
  if (!(await teams.exists(db, teamId))) throw notFound('Team', teamId);
  if (!canSeeTeam(ctx.user!, teamId)) throw forbidden('Only admins and the team’s managers may read a team’s attendance');
  const { rows, total } = await attendance.list(db, { ...filter, team_id: teamId, employee_id: undefined }, { kind: 'all' });
  return page(rows, total);
}

export async function getRecord(ctx: Ctx, recordId: number): Promise<RecordDto> {
  const user = ctx.user!;
  const row = await attendance.get(sqlOf(ctx.em), recordId);
  if (seesOnlyThemselves(user) && (!row || Number(row.employee_id) !== user.employee_id)) throw forbidden('You may not read this record');
  if (!row) throw notFound('Attendance record', recordId);
  const owner = { employee_id: Number(row.employee_id), team_id: row.team_id == null ? null : Number(row.team_id) };
  if (!canSeePerson(user, owner)) throw forbidden('You may not read this record');
  return recordDto(row);
}

const checkOutGiven = (input: AttendanceUpdateInput, row: RecordRow) =>
  Boolean(row.missing_check_out) && (input.check_out_time !== undefined ? input.check_out_time !== null : row.check_out_time !== null);

const duplicateDay = (employeeId: number, date: string) => conflict('duplicate_record', `Employee ${employeeId} already has a record for ${date}`);

type Owner = { employee_id: number; name: string };

function publish(ctx: Ctx, action: 'created' | 'updated' | 'deleted', owner: Owner, record: RecordDto) {
  ctx.bus.publish('attendance.changed', { action, team_id: record.team_id, employee: { employee_id: owner.employee_id, name: owner.name }, record });
}

export async function createRecord(ctx: Ctx, input: AttendanceCreateInput): Promise<RecordDto> {
  const db = sqlOf(ctx.em);
  const owner = await employees.owner(db, input.employee_id);
  if (!owner) {
    throw validationError([{ loc: ['body', 'employee_id'], msg: `employee ${input.employee_id} does not exist`, type: 'value_error.foreign_key' }]);
  }
  assertCanCorrect(ctx, owner);
  assertTimesWithinDay(ctx.config, input.attendance_date, input);
  try {
    const record = await db.transaction(async (tx) => {
      const row = await attendance.insert(tx, { ...input, employee_id: owner.employee_id, team_id: owner.team_id });
      if (!row) throw duplicateDay(owner.employee_id, input.attendance_date);
      const dto = recordDto(row);
      await recordAudit(tx, ctx, { entity_type: 'attendance', entity_id: dto.record_id, action: 'create', after: dto });
      return dto;
    });
    publish(ctx, 'created', owner, record);
    return record;
  } catch (error) {
    if (uniqueViolation(error)) throw duplicateDay(owner.employee_id, input.attendance_date);
    throw error;
  }
}

async function ownerOf(tx: Sql, employeeId: number): Promise<Owner> {
  const owner = await employees.owner(tx, employeeId);
  return owner ?? { employee_id: employeeId, name: '' };
}

export async function updateRecord(ctx: Ctx, recordId: number, input: AttendanceUpdateInput): Promise<RecordDto> {
  let owner: Owner | null = null;
  try {
    const record = await sqlOf(ctx.em).transaction(async (tx) => {
      const row = await attendance.get(tx, recordId, { lock: true });
      if (!row) throw notFound('Attendance record', recordId);
      const before = recordDto(row);
      assertCanCorrect(ctx, { employee_id: before.employee_id, team_id: before.team_id });
      owner = await ownerOf(tx, before.employee_id);
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
      const after = recordDto(await attendance.update(tx, recordId, next));
      await recordAudit(tx, ctx, { entity_type: 'attendance', entity_id: recordId, action: 'update', before, after });
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
  const before = await sqlOf(ctx.em).transaction(async (tx) => {
    const row = await attendance.get(tx, recordId, { lock: true });
    if (!row) throw notFound('Attendance record', recordId);
    const dto = recordDto(row);
    if (!canDeleteRecords(ctx.user)) throw forbidden('Only admins may delete attendance records');
    owner = await ownerOf(tx, dto.employee_id);
    await attendance.delete(tx, recordId);
    await recordAudit(tx, ctx, { entity_type: 'attendance', entity_id: recordId, action: 'delete', before: dto });
    return dto;
  });
  publish(ctx, 'deleted', owner!, before);
}
