import type { Ctx } from '../../infra/context.ts';
import { sqlOf, type Sql } from '../../infra/db.ts';
import { conflict, notFound, sqlState, validationError } from '../../infra/errors.ts';
import { dateOnly, isoTimestamp, localDate } from '../../infra/time.ts';
import { recordAudit } from '../audit/index.ts';
import { mondayOf, type Shift } from './schedule.rules.ts';
import { holidayOf, schedules, assignments, holidays, type AssignmentRow, type ScheduleRow, type SchedulePattern } from './schedules.repository.ts';
import type { AssignmentInput, HolidayInput, ScheduleCreateInput, ScheduleUpdateInput } from './schedules.schema.ts';
import type { WorkdayChanged } from './schedules.events.ts';

const json = <T,>(value: T | string): T => (typeof value === 'string' ? (JSON.parse(value) as T) : value);

/** The public shape of a schedule (its current version). */
export const scheduleDto = (s: ScheduleRow) => ({
  schedule_id: Number(s.schedule_id),
  name: s.name,
  cycle_weeks: Number(s.cycle_weeks),
  starts_on: dateOnly(s.starts_on),
  grace_minutes: Number(s.grace_minutes),
  shifts: json<Shift[]>(s.shifts).map((x) => ({ week: x.week, weekday: x.weekday, start: x.start, end: x.end, break_minutes: x.break_minutes })),
  version: Number(s.version),
  valid_from: dateOnly(s.valid_from),
  owner_team_id: s.owner_team_id == null ? null : Number(s.owner_team_id),
  created_at: isoTimestamp(s.created_at),
  updated_at: isoTimestamp(s.updated_at),
});
export type ScheduleDto = ReturnType<typeof scheduleDto>;

const assignmentDto = (a: AssignmentRow) => ({
  assignment_id: Number(a.assignment_id),
  employee_id: Number(a.employee_id),
  schedule_id: Number(a.schedule_id),
  schedule_name: a.schedule_name,
  valid_from: dateOnly(a.valid_from),
  valid_to: a.valid_to ? dateOnly(a.valid_to) : null,
});

const duplicateName = (name: string) => conflict('duplicate_schedule_name', `A schedule named "${name}" already exists`);
const today = (ctx: Pick<Ctx, 'config'>) => localDate(new Date(), ctx.config.timezone);

/** Tells the recompute that past days changed (nothing to do for a change that starts after today). */
function changed(ctx: Ctx, change: Omit<WorkdayChanged, 'to'> & { to?: string }) {
  const to = change.to && change.to < today(ctx) ? change.to : today(ctx);
  if (change.from <= to) ctx.bus.publish('workday.changed', { ...change, to });
}

/** Shifts that fit the cycle: a week beyond it is refused with the field named. */
function assertFitsCycle(p: SchedulePattern) {
  const bad = p.shifts.findIndex((s) => s.week > p.cycle_weeks);
  if (bad >= 0) throw validationError([{ loc: ['body', 'shifts', bad, 'week'], msg: `week must be at most cycle_weeks (${p.cycle_weeks})`, type: 'value_error' }]);
}

export async function listSchedules(ctx: Ctx, page: { skip: number; limit: number }) {
  const { rows, total } = await schedules.list(sqlOf(ctx.em), page);
  return { items: rows.map(scheduleDto), total };
}

export async function getSchedule(ctx: Ctx, id: number) {
  const row = await schedules.get(sqlOf(ctx.em), id);
  if (!row) throw notFound('Schedule', id);
  return scheduleDto(row);
}

export async function scheduleVersions(ctx: Ctx, id: number) {
  const db = sqlOf(ctx.em);
  if (!(await schedules.get(db, id))) throw notFound('Schedule', id);
  return (await schedules.versions(db, [id])).get(id) ?? [];
}

/** Creates a schedule (applying from the start of time: it decides nothing until a team or a person is put on it). */
export async function createSchedule(ctx: Ctx, input: ScheduleCreateInput) {
  const pattern: SchedulePattern = {
    cycle_weeks: input.cycle_weeks,
    starts_on: input.starts_on ?? mondayOf(today(ctx)),
    grace_minutes: input.grace_minutes,
    shifts: input.shifts,
  };
  return sqlOf(ctx.em).transaction(async (tx) => {
    if (await schedules.nameTaken(tx, input.name)) throw duplicateName(input.name);
    const row = await schedules.insert(tx, { ...pattern, name: input.name, owner_team_id: null });
    if (!row) throw duplicateName(input.name);
    const dto = scheduleDto(row);
    await recordAudit(tx, ctx, { entity_type: 'schedule', entity_id: dto.schedule_id, action: 'create', after: dto });
    return dto;
  });
}

/**
 * Changes a schedule. A change of its pattern (shifts, cycle, grace) is a new version applying from `valid_from`
 * (default today): days before keep the version they were decided by; the records from that day to today are
 * recomputed in a job. A new name alone makes no version.
 */
export async function updateSchedule(ctx: Ctx, id: number, input: ScheduleUpdateInput) {
  const { after, patternChanged, validFrom } = await sqlOf(ctx.em).transaction(async (tx) => {
    const row = await schedules.get(tx, id, { lock: true });
    if (!row) throw notFound('Schedule', id);
    const before = scheduleDto(row);
    if (input.name !== undefined && input.name !== before.name && (await schedules.nameTaken(tx, input.name, id))) throw duplicateName(input.name);
    let current = row;
    if (input.name !== undefined && input.name !== before.name) current = await schedules.rename(tx, id, input.name);
    const pattern: SchedulePattern = {
      cycle_weeks: input.cycle_weeks ?? before.cycle_weeks,
      starts_on: input.starts_on ?? before.starts_on,
      grace_minutes: input.grace_minutes ?? before.grace_minutes,
      shifts: input.shifts ?? before.shifts,
    };
    assertFitsCycle(pattern);
    const patternChanged = JSON.stringify(pattern) !== JSON.stringify({ cycle_weeks: before.cycle_weeks, starts_on: before.starts_on, grace_minutes: before.grace_minutes, shifts: before.shifts });
    const validFrom = input.valid_from ?? today(ctx);
    if (patternChanged) current = await schedules.addVersion(tx, id, { ...pattern, valid_from: validFrom });
    const after = scheduleDto(current);
    await recordAudit(tx, ctx, { entity_type: 'schedule', entity_id: id, action: 'update', before, after });
    return { after, patternChanged, validFrom };
  });
  if (patternChanged) changed(ctx, { from: validFrom, schedule_id: id, reason: `schedule ${id} version ${after.version}` });
  return after;
}

/** A schedule still used by a team or an assignment is kept (409): those people's days would change silently. */
export async function deleteSchedule(ctx: Ctx, id: number) {
  await sqlOf(ctx.em).transaction(async (tx) => {
    const row = await schedules.get(tx, id, { lock: true });
    if (!row) throw notFound('Schedule', id);
    const use = await schedules.inUse(tx, id);
    if (use.teams || use.assignments) {
      throw conflict('schedule_in_use', `Schedule ${id} is used by ${use.teams} team(s) and ${use.assignments} assignment(s); move them to another schedule first`);
    }
    await schedules.delete(tx, id);
    await recordAudit(tx, ctx, { entity_type: 'schedule', entity_id: id, action: 'delete', before: scheduleDto(row) });
  });
}

/** A schedule that a team owns (its start time, grace and weekdays), made or changed through the team's fields. */
export async function saveTeamSchedule(tx: Sql, ctx: Pick<Ctx, 'config'>, q: { team_id: number; team_name: string; current: number | null; pattern: SchedulePattern }): Promise<number> {
  const owned = q.current !== null ? await schedules.get(tx, q.current, { lock: true }) : null;
  if (owned && Number(owned.owner_team_id) === q.team_id) {
    const d = scheduleDto(owned);
    if (JSON.stringify({ cycle_weeks: d.cycle_weeks, starts_on: d.starts_on, grace_minutes: d.grace_minutes, shifts: d.shifts }) !== JSON.stringify(q.pattern)) {
      await schedules.addVersion(tx, q.current!, { ...q.pattern, valid_from: today(ctx) });
    }
    return q.current!;
  }
  for (let n = 1; ; n++) {
    const name = `${q.team_name.slice(0, 80)} hours${n > 1 ? ` ${n}` : ''}`;
    const made = await schedules.insert(tx, { ...q.pattern, name, owner_team_id: q.team_id });
    if (made) return Number(made.schedule_id);
  }
}

export async function listAssignments(ctx: Ctx, employeeId: number) {
  return (await assignments.list(sqlOf(ctx.em), employeeId)).map(assignmentDto);
}

const missingEmployee = (employeeId: number) => notFound('Employee', employeeId);

/** Puts a person on a schedule for a period; their records from `valid_from` to today are recomputed. */
export async function addAssignment(ctx: Ctx, employeeId: number, input: AssignmentInput) {
  const dto = await sqlOf(ctx.em).transaction(async (tx) => {
    if (!(await schedules.get(tx, input.schedule_id))) {
      throw validationError([{ loc: ['body', 'schedule_id'], msg: `schedule ${input.schedule_id} does not exist`, type: 'value_error.foreign_key' }]);
    }
    let made: AssignmentRow | 'overlap';
    try {
      made = await assignments.insert(tx, { employee_id: employeeId, ...input });
    } catch (error) {
      if (sqlState(error) === '23503') throw missingEmployee(employeeId);
      throw error;
    }
    if (made === 'overlap') throw conflict('assignment_overlaps', 'The person already has an assignment in that period; end or delete it first');
    const dto = assignmentDto(made);
    await recordAudit(tx, ctx, { entity_type: 'employee_schedule', entity_id: dto.assignment_id, action: 'create', after: dto });
    return dto;
  });
  changed(ctx, { from: dto.valid_from, to: dto.valid_to ?? undefined, employee_ids: [employeeId], reason: `assignment ${dto.assignment_id}` });
  return dto;
}

export async function deleteAssignment(ctx: Ctx, employeeId: number, assignmentId: number) {
  const before = await sqlOf(ctx.em).transaction(async (tx) => {
    const row = await assignments.get(tx, employeeId, assignmentId);
    if (!row) throw notFound('Assignment', assignmentId);
    await assignments.delete(tx, assignmentId);
    const dto = assignmentDto(row);
    await recordAudit(tx, ctx, { entity_type: 'employee_schedule', entity_id: assignmentId, action: 'delete', before: dto });
    return dto;
  });
  changed(ctx, { from: before.valid_from, to: before.valid_to ?? undefined, employee_ids: [employeeId], reason: `assignment ${assignmentId} removed` });
}

export async function listHolidays(ctx: Ctx, q: { date_from?: string; date_to?: string; team_id?: number; skip: number; limit: number }) {
  const { rows, total } = await holidays.list(sqlOf(ctx.em), q);
  return { items: rows.map(holidayOf), total };
}

const affected = (h: { date: string; team_id: number | null }) => (h.team_id === null ? { all: true } : { team_id: h.team_id });

/** Adds a holiday: nobody (of the team) is expected that day; past days are recomputed (absences marked go). */
export async function createHoliday(ctx: Ctx, input: HolidayInput) {
  const dto = await sqlOf(ctx.em).transaction(async (tx) => {
    let row;
    try {
      row = await holidays.insert(tx, input);
    } catch (error) {
      if (sqlState(error) === '23503') throw validationError([{ loc: ['body', 'team_id'], msg: `team ${input.team_id} does not exist`, type: 'value_error.foreign_key' }]);
      throw error;
    }
    if (!row) throw conflict('duplicate_holiday', `${input.date} is already a holiday${input.team_id ? ` for team ${input.team_id}` : ''}`);
    const dto = holidayOf(row);
    await recordAudit(tx, ctx, { entity_type: 'holiday', entity_id: dto.holiday_id, action: 'create', after: dto });
    return dto;
  });
  changed(ctx, { from: dto.date, to: dto.date, ...affected(dto), reason: `holiday ${dto.date}` });
  return dto;
}

export async function deleteHoliday(ctx: Ctx, id: number) {
  const before = await sqlOf(ctx.em).transaction(async (tx) => {
    const row = await holidays.get(tx, id);
    if (!row) throw notFound('Holiday', id);
    await holidays.delete(tx, id);
    const dto = holidayOf(row);
    await recordAudit(tx, ctx, { entity_type: 'holiday', entity_id: id, action: 'delete', before: dto });
    return dto;
  });
  changed(ctx, { from: before.date, to: before.date, ...affected(before), reason: `holiday ${before.date} removed` });
}
