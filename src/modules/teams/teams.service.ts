import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { Ctx } from '../../infra/context.ts';
import { conflict, forbidden, notFound } from '../../infra/errors.ts';
import { recordAudit } from '../audit/index.ts';
import { Team, type ITeam } from './team.entity.ts';
import type { TeamCreateInput, TeamUpdateInput } from './teams.schema.ts';

/** The public shape of a team. */
export const teamDto = (t: ITeam) => ({
  team_id: t.team_id,
  team_name: t.team_name,
  workday_start: t.workday_start,
  grace_minutes: t.grace_minutes,
  working_weekdays: t.working_weekdays,
  created_at: t.created_at.toISOString(),
  updated_at: t.updated_at.toISOString(),
});

const duplicateName = (name: string) => conflict('duplicate_team_name', `A team named "${name}" already exists`);

/** Admins see every team; everyone else sees only their own. */
export async function listTeams(ctx: Ctx, page: { skip: number; limit: number }) {
  const where = ctx.user?.access === 'admin' ? {} : { team_id: ctx.user?.team_id ?? -1 };
  const [rows, total] = await ctx.em.findAndCount(Team, where, { orderBy: { team_id: 'asc' }, offset: page.skip, limit: page.limit });
  return { items: rows.map(teamDto), total };
}

export async function getTeam(ctx: Ctx, teamId: number) {
  if (ctx.user?.access !== 'admin' && ctx.user?.team_id !== teamId) {
    const exists = await ctx.em.count(Team, { team_id: teamId });
    if (!exists) throw notFound('Team', teamId);
    throw forbidden('You may only see your own team');
  }
  const team = await ctx.em.findOne(Team, { team_id: teamId });
  if (!team) throw notFound('Team', teamId);
  return teamDto(team);
}

export async function createTeam(ctx: Ctx, input: TeamCreateInput) {
  if (await ctx.em.count(Team, { team_name: input.team_name })) throw duplicateName(input.team_name);
  try {
    return await ctx.em.transactional(async (em) => {
      const team = em.create(Team, { team_name: input.team_name, ...withoutUndefined(input) } as never) as ITeam;
      await em.flush();
      recordAudit(em, ctx, { entity_type: 'team', entity_id: team.team_id, action: 'create', after: teamDto(team) });
      return teamDto(team);
    });
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) throw duplicateName(input.team_name);
    throw error;
  }
}

export async function updateTeam(ctx: Ctx, teamId: number, input: TeamUpdateInput) {
  try {
    return await ctx.em.transactional(async (em) => {
      const team = await em.findOne(Team, { team_id: teamId });
      if (!team) throw notFound('Team', teamId);
      if (input.team_name && input.team_name !== team.team_name && (await em.count(Team, { team_name: input.team_name }))) {
        throw duplicateName(input.team_name);
      }
      const before = teamDto(team);
      em.assign(team, withoutUndefined(input));
      await em.flush();
      recordAudit(em, ctx, { entity_type: 'team', entity_id: teamId, action: 'update', before, after: teamDto(team) });
      return teamDto(team);
    });
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) throw duplicateName(input.team_name ?? '');
    throw error;
  }
}

/** Deletes a team; its employees stay (without a team) and so does their attendance history. */
export async function deleteTeam(ctx: Ctx, teamId: number) {
  await ctx.em.transactional(async (em) => {
    const team = await em.findOne(Team, { team_id: teamId });
    if (!team) throw notFound('Team', teamId);
    const before = teamDto(team);
    em.remove(team);
    recordAudit(em, ctx, { entity_type: 'team', entity_id: teamId, action: 'delete', before });
  });
}

/** Drops keys whose value is undefined, so a partial update leaves other fields as they are. */
export function withoutUndefined<T extends object>(input: T): Partial<T> {
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined)) as Partial<T>;
}
