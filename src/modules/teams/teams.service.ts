import type { Ctx } from '../../infra/context.ts';
import { sqlOf } from '../../infra/db.ts';
import { conflict, forbidden, notFound, uniqueViolation } from '../../infra/errors.ts';
import { isoTimestamp } from '../../infra/time.ts';
import { recordAudit } from '../audit/index.ts';
import { canReadTeam, visibleTeam } from '../auth/index.ts';
import { DEFAULT_WORKING_WEEKDAYS } from './team.entity.ts';
import { teams, type TeamRow } from './teams.repository.ts';
import type { TeamCreateInput, TeamUpdateInput } from './teams.schema.ts';

/** The public shape of a team. */
export const teamDto = (t: TeamRow) => ({
  team_id: Number(t.team_id),
  team_name: t.team_name,
  workday_start: t.workday_start,
  grace_minutes: Number(t.grace_minutes),
  working_weekdays: (typeof t.working_weekdays === 'string' ? JSON.parse(t.working_weekdays) : t.working_weekdays) as number[],
  created_at: isoTimestamp(t.created_at),
  updated_at: isoTimestamp(t.updated_at),
});

const duplicateName = (name: string) => conflict('duplicate_team_name', `A team named "${name}" already exists`);

/** Admins see every team; everyone else sees only their own. */
export async function listTeams(ctx: Ctx, page: { skip: number; limit: number }) {
  const scope = visibleTeam(ctx.user!);
  const { rows, total } = await teams.list(sqlOf(ctx.em), scope.kind === 'all' ? {} : { team_id: scope.team_id }, page);
  return { items: rows.map(teamDto), total };
}

export async function getTeam(ctx: Ctx, teamId: number) {
  const db = sqlOf(ctx.em);
  const team = await teams.get(db, teamId);
  if (!team) throw notFound('Team', teamId);
  if (!canReadTeam(ctx.user!, teamId)) throw forbidden('You may only see your own team');
  return teamDto(team);
}

export async function createTeam(ctx: Ctx, input: TeamCreateInput) {
  return sqlOf(ctx.em).transaction(async (tx) => {
    const row = await teams.insert(tx, {
      team_name: input.team_name,
      workday_start: input.workday_start ?? '09:00',
      grace_minutes: input.grace_minutes ?? 5,
      working_weekdays: input.working_weekdays ?? [...DEFAULT_WORKING_WEEKDAYS],
    });
    if (!row) throw duplicateName(input.team_name);
    const dto = teamDto(row);
    await recordAudit(tx, ctx, { entity_type: 'team', entity_id: dto.team_id, action: 'create', after: dto });
    return dto;
  });
}

export async function updateTeam(ctx: Ctx, teamId: number, input: TeamUpdateInput) {
  try {
    return await updateIn(ctx, teamId, input);
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
    const before = teamDto(row);
    if (input.team_name !== undefined && input.team_name !== before.team_name && (await teams.nameTaken(tx, input.team_name, teamId))) {
      throw duplicateName(input.team_name);
    }
    const after = teamDto(
      await teams.update(tx, teamId, {
        team_name: input.team_name ?? before.team_name,
        workday_start: input.workday_start ?? before.workday_start,
        grace_minutes: input.grace_minutes ?? before.grace_minutes,
        working_weekdays: input.working_weekdays ?? before.working_weekdays,
      }),
    );
    await recordAudit(tx, ctx, { entity_type: 'team', entity_id: teamId, action: 'update', before, after });
    return after;
  });
}

/** Deletes a team; its employees stay (without a team) and so does their attendance history. */
export async function deleteTeam(ctx: Ctx, teamId: number) {
  await sqlOf(ctx.em).transaction(async (tx) => {
    const row = await teams.get(tx, teamId, { lock: true });
    if (!row) throw notFound('Team', teamId);
    await teams.delete(tx, teamId);
    await recordAudit(tx, ctx, { entity_type: 'team', entity_id: teamId, action: 'delete', before: teamDto(row) });
  });
}
