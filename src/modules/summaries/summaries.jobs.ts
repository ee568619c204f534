import { rooms } from '../../infra/broadcast.ts';
import { sqlOf } from '../../infra/db.ts';
import type { JobHandler, Jobs } from '../../infra/jobs/types.ts';
import type { Logger } from '../../infra/logger.ts';
import { delivery } from '../../infra/socket-contract.ts';
import { allScopes, refreshSummaries } from './summary.service.ts';

/**
 * `summaries:recompute` { all?: true } or { team_id }: recomputes the team's and the organisation's summaries
 * (or every scope) and tells the team's boards and the admins about those that changed.
 */
export const recomputeSummaries: JobHandler = async (data, ctx) => {
  const sql = sqlOf(ctx.em);
  const teamId = typeof data.team_id === 'number' ? data.team_id : null;
  const scopes = data.all ? await allScopes(sql) : teamId === null ? [null] : [teamId, null];
  const changed = await refreshSummaries(sql, ctx.config, scopes);
  ctx.broadcast.send(changed.map((c) => delivery(c.team_id === null ? [rooms.admins] : [rooms.team(c.team_id), rooms.admins], 'summary:updated', c.body)));
  for (const c of changed) ctx.bus?.publish('summary.updated', c.body);
  return { scopes: scopes.length, changed: changed.map((c) => c.scope) };
};

/**
 * Queues one debounced `summaries:recompute` per team that changed. Changes are gathered for `flushMs` and each
 * team's job is added once per gathering: a shift-change burst is thousands of changes, and a queue call per
 * change would cost a Redis script each. A change is always committed before the add that covers it, and the add
 * either creates a job (it runs later), joins one that has not started yet, or (keepLastIfActive) queues one more
 * behind a running one, so no change is missed.
 */
export function createSummaryTrigger(jobs: Jobs, opts: { debounceMs: number; flushMs?: number; log: Logger }) {
  const dirty = new Set<number | null>();
  let timer: NodeJS.Timeout | null = null;
  const flush = () => {
    timer = null;
    const teams = [...dirty];
    dirty.clear();
    for (const team_id of teams) {
      const key = team_id === null ? 'org' : `team:${team_id}`;
      void jobs
        .add('summaries:recompute', { team_id }, { delayMs: opts.debounceMs, dedupId: `summaries:${key}` })
        .catch((error) => opts.log.warn({ err: error }, 'could not queue a summary recompute'));
    }
  };
  return {
    changed(teamId: number | null) {
      dirty.add(teamId);
      timer ??= setTimeout(flush, opts.flushMs ?? Math.min(250, opts.debounceMs));
    },
    /** Queues what is gathered now (at shutdown). */
    flush() {
      if (timer) clearTimeout(timer);
      flush();
    },
  };
}
