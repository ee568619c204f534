import type { Ctx } from '../../infra/context.ts';
import { jsonValue, sqlOf, type Sql } from '../../infra/db.ts';
import { conflict, forbidden, notFound, uniqueViolation, validationError } from '../../infra/errors.ts';
import { isoTimestamp, localDate } from '../../infra/time.ts';
import { recordAudit } from '../audit/index.ts';
import { canReadTeam, visibleTeam } from '../auth/index.ts';
import { mondayOf, saveTeamSchedule, schedules, STANDARD_WEEK, type Shift } from '../schedules/index.ts';
import { teams, type TeamFields, type TeamRow } from './teams.repository.ts';
import type { TeamCreateInput, TeamUpdateInput } from './teams.schema.ts';

/** How a schedule reads as a simple week: the start of its first shift, its grace, the weekdays of its first week. */
function simpleWeek(grace: number | null, shiftsValue: unknown) {
  const shifts = jsonValue<Shift[] | null>(shiftsValue) ?? STANDARD_WEEK.shifts;
  const week1 = shifts.filter((s) => s.week === 1).sort((a, b) => a.weekday - b.weekday || a.start.localeCompare(b.start));
  return {
    workday_start: week1[0]?.start ?? '09:00',
    grace_minutes: grace ?? STANDARD_WEEK.grace_minutes,
    working_weekdays: [...new Set(week1.map((s) => s.weekday))],
  };
}

/** The public shape of a team; `timezone` is the zone in force (the organisation's unless the team has its own). */
export const teamDto = (t: TeamRow, orgTimezone: string) => ({
  team_id: Number(t.team_id),
  team_name: t.team_name,
  ...simpleWeek(t.schedule_id == null ? null : Number(t.schedule_grace), t.schedule_id == null ? null : t.schedule_shifts),
  schedule_id: t.schedule_id == null ? null : Number(t.schedule_id),
  timezone: t.timezone ?? orgTimezone,
  weekly_hours: Number(t.weekly_hours),
  missing_check_out: t.missing_check_out,
  web_punch: Boolean(t.web_punch),
  created_at: isoTimestamp(t.created_at),
  updated_at: isoTimestamp(t.updated_at),
});

const duplicateName = (name: string) => conflict('duplicate_team_name', `A team named "${name}" already exists`);

async function assertScheduleExists(sql: Sql, id: number | null | undefined) {
  if (id == null) return;
  if (!(await schedules.get(sql, id))) throw validationError([{ loc: ['body', 'schedule_id'], msg: `schedule ${id} does not exist`, type: 'value_error.foreign_key' }]);
}

const hoursGiven = (input: TeamUpdateInput) => input.workday_start !== undefined || input.grace_minutes !== undefined || input.working_weekdays !== undefined;

/** A simple week as a schedule pattern: a shift of eight hours from the start time on each working weekday. */
function weekPattern(week: { workday_start: string; grace_minutes: number; working_weekdays: number[] }, today: string) {
  const [h, m] = week.workday_start.split(':').map(Number);
  const end = `${String((h + 8) % 24).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
  return {
    cycle_weeks: 1,
    starts_on: mondayOf(today),
    grace_minutes: week.grace_minutes,
    shifts: [...week.working_weekdays].sort().map((weekday) => ({ week: 1, weekday, start: week.workday_start, end, break_minutes: 0 })),
  };
}

/** Admins see every team; everyone else sees only their own. */
export async function listTeams(ctx: Ctx, page: { skip: number; limit: number }) {
  const scope = visibleTeam(ctx.user!);
  const { rows, total } = await teams.list(sqlOf(ctx.em), scope.kind === 'all' ? {} : { team_id: scope.team_id }, page);
  return { items: rows.map((t) => teamDto(t, ctx.config.timezone)), total };
}

export async function getTeam(ctx: Ctx, teamId: number) {
  const db = sqlOf(ctx.em);
  const team = await teams.get(db, teamId);
  if (!team) throw notFound('Team', teamId);
  if (!canReadTeam(ctx.user!, teamId)) throw forbidden('You may only see your own team');
  return teamDto(team, ctx.config.timezone);
}

export async function createTeam(ctx: Ctx, input: TeamCreateInput) {
  return sqlOf(ctx.em).transaction(async (tx) => {
    await assertScheduleExists(tx, input.schedule_id);
    let row = await teams.insert(tx, {
      team_name: input.team_name,
      schedule_id: input.schedule_id ?? null,
      timezone: input.timezone ?? null,
      weekly_hours: input.weekly_hours ?? 40,
      missing_check_out: input.missing_check_out ?? 'flag',
      web_punch: input.web_punch ?? false,
    });
    if (!row) throw duplicateName(input.team_name);
    if (hoursGiven(input)) {
      const week = { ...simpleWeek(null, null), ...definedOf(input) };
      const scheduleId = await saveTeamSchedule(tx, ctx, { team_id: Number(row.team_id), team_name: row.team_name, current: null, pattern: weekPattern(week, localDate(new Date(), ctx.config.timezone)) });
      row = await teams.update(tx, Number(row.team_id), { ...fieldsOf(row), schedule_id: scheduleId });
    }
    const dto = teamDto(row, ctx.config.timezone);
    await recordAudit(tx, ctx, { entity_type: 'team', entity_id: dto.team_id, action: 'create', after: dto });
    return dto;
  });
}

const definedOf = (input: TeamUpdateInput) =>
  Object.fromEntries(Object.entries({ workday_start: input.workday_start, grace_minutes: input.grace_minutes, working_weekdays: input.working_weekdays }).filter(([, value]) => value !== undefined));

const fieldsOf = (row: TeamRow): TeamFields => ({
  team_name: row.team_name,
  schedule_id: row.schedule_id == null ? null : Number(row.schedule_id),
  timezone: row.timezone,
  weekly_hours: Number(row.weekly_hours),
  missing_check_out: row.missing_check_out,
  web_punch: Boolean(row.web_punch),
});

export async function updateTeam(ctx: Ctx, teamId: number, input: TeamUpdateInput) {
  try {
    const { after, before } = await updateIn(ctx, teamId, input);
    // What decides the members' days changed: today's records (and any later in the week) follow.
    if (before.schedule_id !== after.schedule_id || before.timezone !== after.timezone || before.weekly_hours !== after.weekly_hours || hoursGiven(input)) {
      const today = localDate(new Date(), ctx.config.timezone);
      ctx.bus.publish('workday.changed', { from: today, to: today, team_id: teamId, reason: `team ${teamId} settings` });
    }
    return after;
  } catch (error) {
    // The name was taken by a concurrent change after the check.
    if (uniqueViolation(error)) throw duplicateName(input.team_name ?? '');
    throw error;
  }
}

function updateIn(ctx: Ctx, teamId: number, input: TeamUpdateInput) {
  return sqlOf(ctx.em).transaction(async (tx) => {
    const row = await teams.get(tx, teamId, { lock: true });
    if (!row) throw notFound('Team', teamId);
    const before = teamDto(row, ctx.config.timezone);
    if (input.team_name !== undefined && input.team_name !== before.team_name && (await teams.nameTaken(tx, input.team_name, teamId))) {
      throw duplicateName(input.team_name);
    }
    await assertScheduleExists(tx, input.schedule_id);
    const fields = fieldsOf(row);
    const next: TeamFields = {
      team_name: input.team_name ?? fields.team_name,
      schedule_id: input.schedule_id !== undefined ? input.schedule_id : fields.schedule_id,
      timezone: input.timezone !== undefined ? input.timezone : fields.timezone,
      weekly_hours: input.weekly_hours ?? fields.weekly_hours,
      missing_check_out: input.missing_check_out ?? fields.missing_check_out,
      web_punch: input.web_punch ?? fields.web_punch,
    };
    if (hoursGiven(input)) {
      const week = { workday_start: before.workday_start, grace_minutes: before.grace_minutes, working_weekdays: before.working_weekdays, ...definedOf(input) };
      next.schedule_id = await saveTeamSchedule(tx, ctx, { team_id: teamId, team_name: next.team_name, current: fields.schedule_id, pattern: weekPattern(week, localDate(new Date(), ctx.config.timezone)) });
    }
    const after = teamDto(await teams.update(tx, teamId, next), ctx.config.timezone);
    await recordAudit(tx, ctx, { entity_type: 'team', entity_id: teamId, action: 'update', before, after });
    return { before, after };
  });
}

/** Deletes a team; its employees stay (without a team) and so does their attendance history. */
export async function deleteTeam(ctx: Ctx, teamId: number) {
  await sqlOf(ctx.em).transaction(async (tx) => {
    const row = await teams.get(tx, teamId, { lock: true });
    if (!row) throw notFound('Team', teamId);
    await teams.delete(tx, teamId);
    await recordAudit(tx, ctx, { entity_type: 'team', entity_id: teamId, action: 'delete', before: teamDto(row, ctx.config.timezone) });
  });
}
