import type { Ctx } from '../../infra/context.ts';
import { sqlOf, type Sql } from '../../infra/db.ts';
import { conflict, forbidden, notFound, uniqueViolation, validationError, type FieldError } from '../../infra/errors.ts';
import { addDays, zonedTimeToInstant } from '../../infra/time.ts';
import { recordFigures, refreshWeeks } from './attendance.figures.ts';
import { isIn, type Interval } from './day.rules.ts';
import { loadPlanning } from './planning.ts';
import { recordAudit } from '../audit/index.ts';
import { canCorrect, canDeleteRecords, canSeePerson, canSeeTeam, readScope, seesOnlyThemselves, selfCorrection, type Person } from '../auth/index.ts';
import { employees } from '../employees/index.ts';
import { teams } from '../teams/index.ts';
import { attendance, type RecordFilter } from './attendance.repository.ts';
import type { AttendanceCreateInput, AttendanceUpdateInput, TimeValue } from './attendance.schema.ts';
import { intervalsOf, recordDto, withoutMissingNote, type RecordDto, type RecordRow } from './attendance.records.ts';

export type { RecordFilter };
type Page = { skip: number; limit: number };

/** Admins may change any record; managers those of their team, except their own (separation of duties). */
function assertCanCorrect(ctx: Ctx, person: Person) {
  const user = ctx.user!;
  if (canCorrect(user, person)) return;
  if (user.employee_id === person.employee_id && canSeeTeam(user, person.team_id)) throw selfCorrection();
  throw forbidden('Managers may only correct records of their own team');
}

export type TimeInputs = { check_in_time?: TimeValue | null; check_out_time?: TimeValue | null; intervals?: { check_in_time: TimeValue; check_out_time: TimeValue | null }[] };

/** A local time on a date in a zone; one not after `notBefore` is the next day's (a night shift's check-out). */
function instantOf(value: TimeValue, date: string, tz: string, notBefore?: Date): Date {
  if (value instanceof Date) return value;
  const [hh, mm, ss] = value.local.split(':');
  let at = new Date(zonedTimeToInstant(date, `${hh}:${mm}`, tz).getTime() + Number(ss) * 1000);
  if (notBefore && at <= notBefore) at = new Date(zonedTimeToInstant(addDays(date, 1), `${hh}:${mm}`, tz).getTime() + Number(ss) * 1000);
  return at;
}

const field = (path: (string | number)[], msg: string, type = 'value_error'): FieldError => ({ loc: ['body', ...path], msg, type });

/**
 * The intervals a correction gives: `intervals` as they are, or check-in and check-out as one stay (on a day with
 * several stays, the first arrival and the last departure move). Times may be local ('09:00:00') on the record's date
 * in its zone. Each stay within the day (a check-out up to MAX_SHIFT_HOURS into the next), in order, not overlapping.
 */
function intervalsFrom(config: Ctx['config'], date: string, tz: string, input: TimeInputs, current: Interval[]): Interval[] | null {
  if (input.intervals && (input.check_in_time !== undefined || input.check_out_time !== undefined)) {
    throw validationError([field(['intervals'], 'give either intervals or check_in_time / check_out_time')]);
  }
  let next: Interval[];
  if (input.intervals) {
    let previousOut: Date | null = null;
    next = input.intervals.map((i, k) => {
      const cin = instantOf(i.check_in_time, date, tz, previousOut ?? undefined);
      const cout = i.check_out_time === null ? null : instantOf(i.check_out_time, date, tz, cin);
      if (cout && cout < cin) throw validationError([field(['intervals', k, 'check_out_time'], 'check_out_time must not be before check_in_time')]);
      if (previousOut === null && k > 0) throw validationError([field(['intervals', k - 1, 'check_out_time'], 'only the last interval may be open')]);
      if (previousOut && cin < previousOut) throw validationError([field(['intervals', k, 'check_in_time'], 'intervals must be in time order and must not overlap')]);
      previousOut = cout;
      return { check_in_time: cin.toISOString(), check_out_time: cout ? cout.toISOString() : null };
    });
  } else if (input.check_in_time === undefined && input.check_out_time === undefined) {
    return null;
  } else {
    const first = current[0];
    const last = current[current.length - 1];
    const cin = input.check_in_time !== undefined ? (input.check_in_time === null ? null : instantOf(input.check_in_time, date, tz)) : first ? new Date(first.check_in_time) : null;
    if (cin === null) {
      if (input.check_out_time) throw validationError([field(['check_out_time'], 'a check-out needs a check-in')]);
      return [];
    }
    const givenOut = input.check_out_time;
    const cout = givenOut !== undefined ? (givenOut === null ? null : instantOf(givenOut, date, tz, cin)) : last?.check_out_time ? new Date(last.check_out_time) : null;
    // Out of the day first (the more useful answer for a time far off), then the order.
    assertWithinDay(config, date, tz, [{ check_in_time: cin.toISOString(), check_out_time: cout && cout >= cin ? cout.toISOString() : null }]);
    if (cout && cout < cin) throw validationError([field(['check_out_time'], 'check_out_time must not be before check_in_time')]);
    if (current.length <= 1) {
      next = [{ check_in_time: cin.toISOString(), check_out_time: cout ? cout.toISOString() : null }];
    } else {
      next = current.map((i) => ({ check_in_time: i.check_in_time, check_out_time: i.check_out_time }));
      next[0] = { ...next[0], check_in_time: cin.toISOString() };
      next[next.length - 1] = { ...next[next.length - 1], check_out_time: cout ? cout.toISOString() : null };
      if (Date.parse(next[0].check_out_time ?? next[0].check_in_time) < cin.getTime() || (cout && Date.parse(next[next.length - 1].check_in_time) > cout.getTime())) {
        throw validationError([field(['check_in_time'], 'the new times cut into other stays of the day: send intervals instead')]);
      }
    }
  }
  assertWithinDay(config, date, tz, next);
  return next;
}

/**
 * A record's times fall within its local day: each arrival on that day, each departure from its start until
 * MAX_SHIFT_HOURS into the next (a shift across midnight). A record dated 2020-01-08 with a check-in in 2031 is 422.
 */
function assertWithinDay(config: Ctx['config'], date: string, tz: string, intervals: Interval[]) {
  const start = zonedTimeToInstant(date, '00:00', tz).getTime();
  const end = zonedTimeToInstant(addDays(date, 1), '00:00', tz).getTime();
  const latestOut = end + config.punch.maxShiftHours * 3_600_000;
  const fields: FieldError[] = [];
  const single = intervals.length === 1;
  intervals.forEach((i, k) => {
    const cin = Date.parse(i.check_in_time);
    const cout = i.check_out_time ? Date.parse(i.check_out_time) : null;
    const at = (name: string) => (single ? [name] : ['intervals', k, name]);
    if (cin < start || cin >= end) fields.push(field(at('check_in_time'), `check_in_time must fall on ${date} (${tz})`, 'value_error.out_of_day'));
    if (cout !== null && (cout < start || cout > latestOut)) {
      fields.push(field(at('check_out_time'), `check_out_time must fall on ${date} or within ${config.punch.maxShiftHours} hours after it (${tz})`, 'value_error.out_of_day'));
    }
  });
  if (fields.length) throw validationError(fields);
}

const page = (rows: RecordRow[], total: number, tz: string) => ({ items: rows.map((r) => recordDto(r, tz)), total });

/** Every record the caller may read, filtered. Employees see their own; managers their team's and their own. */
export async function listRecords(ctx: Ctx, filter: RecordFilter & Page) {
  const { rows, total } = await attendance.list(sqlOf(ctx.em), filter, readScope(ctx.user!));
  return page(rows, total, ctx.config.timezone);
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
  return page(rows, total, ctx.config.timezone);
}

export async function listTeamRecords(ctx: Ctx, teamId: number, filter: RecordFilter & Page) {
  const db = sqlOf(ctx.em);
  if (!(await teams.exists(db, teamId))) throw notFound('Team', teamId);
  if (!canSeeTeam(ctx.user!, teamId)) throw forbidden('Only admins and the team’s managers may read a team’s attendance');
  const { rows, total } = await attendance.list(db, { ...filter, team_id: teamId, employee_id: undefined }, { kind: 'all' });
  return page(rows, total, ctx.config.timezone);
}

export async function getRecord(ctx: Ctx, recordId: number): Promise<RecordDto> {
  const user = ctx.user!;
  const row = await attendance.get(sqlOf(ctx.em), recordId);
  if (seesOnlyThemselves(user) && (!row || Number(row.employee_id) !== user.employee_id)) throw forbidden('You may not read this record');
  if (!row) throw notFound('Attendance record', recordId);
  const owner = { employee_id: Number(row.employee_id), team_id: row.team_id == null ? null : Number(row.team_id) };
  if (!canSeePerson(user, owner)) throw forbidden('You may not read this record');
  return recordDto(row, ctx.config.timezone);
}

const duplicateDay = (employeeId: number, date: string) => conflict('duplicate_record', `Employee ${employeeId} already has a record for ${date}`);

type Owner = { employee_id: number; name: string };

/** A change made inside a transaction, to publish once that transaction has committed (never before). */
export type RecordChange = { action: 'created' | 'updated'; owner: Owner; record: RecordDto };

function publish(ctx: Ctx, action: 'created' | 'updated' | 'deleted', owner: Owner, record: RecordDto) {
  ctx.bus.publish('attendance.changed', { action, team_id: record.team_id, employee: { employee_id: owner.employee_id, name: owner.name }, record });
}

/** Announces a committed change (boards, the person's sockets, the summaries): call it after the commit. */
export const publishChange = (ctx: Ctx, change: RecordChange) => publish(ctx, change.action, change.owner, change.record);

/** The day's plan of a person (their team's zone and schedule, their assignment, the holidays). */
async function planOf(tx: Sql, ctx: Ctx, employeeId: number, teamId: number | null, date: string) {
  const planning = await loadPlanning(tx, ctx.config.timezone, date, date, [employeeId]);
  return { plan: planning.plan(employeeId, teamId, date), planning };
}

/** What a new record takes: its status may be left to the times (Present or Late follow the first arrival). */
export type NewRecord = TimeInputs & Pick<AttendanceCreateInput, 'employee_id' | 'attendance_date' | 'notes' | 'source'> & { status?: AttendanceCreateInput['status'] };

/**
 * Creates a record inside the caller's transaction, with its figures, its week's overtime and its audit entry.
 * The caller has checked the right to; it publishes the change (publishChange) once the transaction has committed.
 * A second record for the day is 409 `duplicate_record`.
 */
export async function createIn(tx: Sql, ctx: Ctx, owner: Owner & { team_id: number | null }, input: NewRecord): Promise<RecordChange> {
  const { plan, planning } = await planOf(tx, ctx, owner.employee_id, owner.team_id, input.attendance_date);
  const intervals = intervalsFrom(ctx.config, input.attendance_date, plan.tz, input, []) ?? [];
  const figures = recordFigures({
    intervals, plan, current: null, status: input.status, notes: input.notes, missing_check_out: false, intervals_edited: input.intervals !== undefined, weekly_overtime_minutes: 0,
  });
  const row = await attendance.insert(tx, { employee_id: owner.employee_id, team_id: owner.team_id, attendance_date: input.attendance_date, source: input.source, ...figures });
  if (!row) throw duplicateDay(owner.employee_id, input.attendance_date);
  const [weekly] = (await refreshWeeks(tx, planning, [row])).filter((r) => Number(r.record_id) === Number(row.record_id));
  const dto = recordDto(weekly ?? row, ctx.config.timezone);
  await recordAudit(tx, ctx, { entity_type: 'attendance', entity_id: dto.record_id, action: 'create', after: dto });
  return { action: 'created', owner: { employee_id: owner.employee_id, name: owner.name }, record: dto };
}

export async function createRecord(ctx: Ctx, input: AttendanceCreateInput): Promise<RecordDto> {
  const db = sqlOf(ctx.em);
  const owner = await employees.owner(db, input.employee_id);
  if (!owner) {
    throw validationError([{ loc: ['body', 'employee_id'], msg: `employee ${input.employee_id} does not exist`, type: 'value_error.foreign_key' }]);
  }
  assertCanCorrect(ctx, owner);
  try {
    const change = await db.transaction((tx) => createIn(tx, ctx, owner, input));
    publishChange(ctx, change);
    return change.record;
  } catch (error) {
    if (uniqueViolation(error)) throw duplicateDay(owner.employee_id, input.attendance_date);
    throw error;
  }
}

async function ownerOf(tx: Sql, employeeId: number): Promise<Owner> {
  const owner = await employees.owner(tx, employeeId);
  return owner ?? { employee_id: employeeId, name: '' };
}

/**
 * The intervals a change of times would give a person's day (`row`: the day's record, null for none), checked as a
 * correction of that record would check them: a time out of the day, out of order or overlapping is 422 with the
 * same field errors. `intervals` null when the change gives no times; `tz` the zone of the day. Nothing is written.
 */
export async function checkedTimes(tx: Sql, ctx: Ctx, person: Person, date: string, input: TimeInputs, row: RecordRow | null): Promise<{ intervals: Interval[] | null; tz: string }> {
  const { plan } = await planOf(tx, ctx, person.employee_id, row ? (row.team_id == null ? null : Number(row.team_id)) : person.team_id, date);
  return { intervals: intervalsFrom(ctx.config, date, plan.tz, input, row ? intervalsOf(row) : []), tz: plan.tz };
}

/**
 * Corrects a record inside the caller's transaction (locking it first): as updateRecord, audit entry included.
 * `authorize` decides on the record's person once it is read (updateRecord: assertCanCorrect); the caller publishes
 * the change (publishChange) once the transaction has committed.
 */
export async function updateIn(tx: Sql, ctx: Ctx, recordId: number, input: AttendanceUpdateInput, authorize: (person: Person) => void): Promise<RecordChange> {
  const row = await attendance.get(tx, recordId, { lock: true });
  if (!row) throw notFound('Attendance record', recordId);
  const before = recordDto(row, ctx.config.timezone);
  authorize({ employee_id: before.employee_id, team_id: before.team_id });
  const owner = await ownerOf(tx, before.employee_id);
  const date = input.attendance_date ?? before.attendance_date;
  const { plan, planning } = await planOf(tx, ctx, before.employee_id, before.team_id, date);
  const given = intervalsFrom(ctx.config, date, plan.tz, input, intervalsOf(row));
  const intervals = given ?? intervalsOf(row);
  if (given === null && input.attendance_date !== undefined) assertWithinDay(ctx.config, date, plan.tz, intervals);
  const wasOpen = isIn(intervalsOf(row));
  const closedNow = Boolean(row.missing_check_out) && wasOpen && !isIn(intervals);
  const figures = recordFigures({
    intervals,
    plan,
    current: row.status,
    status: input.status ?? (row.status === 'Present' || row.status === 'Late' || row.status === 'Absent' ? undefined : row.status),
    // A check-out closes the end-of-day flag, and the note it added goes with it (unless new notes are given).
    notes: input.notes !== undefined ? input.notes : closedNow ? withoutMissingNote(before.notes) : before.notes,
    missing_check_out: Boolean(row.missing_check_out),
    intervals_edited: Boolean(row.intervals_edited) || given !== null,
    weekly_overtime_minutes: Number(row.weekly_overtime_minutes),
  });
  const updated = await attendance.update(tx, recordId, { attendance_date: date, ...figures });
  const weeks = await refreshWeeks(tx, planning, before.attendance_date === date ? [updated] : [updated, row]);
  const after = recordDto(weeks.find((r) => Number(r.record_id) === recordId) ?? updated, ctx.config.timezone);
  await recordAudit(tx, ctx, { entity_type: 'attendance', entity_id: recordId, action: 'update', before, after });
  return { action: 'updated', owner, record: after };
}

/**
 * Corrects a record: its date, status, times (or its intervals), notes. The figures follow; a status given is kept,
 * else Present or Late follow the first arrival. Intervals set by hand stay the day's truth: punches that arrive late
 * are added to them.
 */
export async function updateRecord(ctx: Ctx, recordId: number, input: AttendanceUpdateInput): Promise<RecordDto> {
  try {
    const change = await sqlOf(ctx.em).transaction((tx) => updateIn(tx, ctx, recordId, input, (person) => assertCanCorrect(ctx, person)));
    publishChange(ctx, change);
    return change.record;
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
    const dto = recordDto(row, ctx.config.timezone);
    if (!canDeleteRecords(ctx.user)) throw forbidden('Only admins may delete attendance records');
    owner = await ownerOf(tx, dto.employee_id);
    await attendance.delete(tx, recordId);
    await recordAudit(tx, ctx, { entity_type: 'attendance', entity_id: recordId, action: 'delete', before: dto });
    return dto;
  });
  publish(ctx, 'deleted', owner!, before);
}
