import type { JobHandler } from '../../infra/jobs/types.ts';
import { allScopes, refreshSummaries } from './summary.service.ts';

/**
 * `summaries:recompute` { all?: true } or { team_id }: recomputes the team's and the organisation's summaries
 * (or every scope) and tells the team's boards and the admins about those that changed.
 */
export const recomputeSummaries: JobHandler = async (data, ctx) => {
  const teamId = typeof data.team_id === 'number' ? data.team_id : null;
  const scopes = data.all ? await allScopes(ctx.em) : teamId === null ? [null] : [teamId, null];
  const changed = await refreshSummaries(ctx.em, ctx.config, scopes);
  return {
    scopes: scopes.length,
    changed: changed.map((c) => c.scope),
    deliveries: changed.map((c) => ({
      rooms: c.team_id === null ? ['admins'] : [`team:${c.team_id}`, 'admins'],
      event: 'summary:updated',
      payload: c.body,
    })),
  };
};
