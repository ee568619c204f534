import { assertHandlers, type JobHandlers } from './infra/jobs/types.ts';
import { askJob } from './modules/assistant/index.ts';
import { endOfDayJob, partitionPunchesJob, pruneChangesJob, recomputeJob } from './modules/attendance/index.ts';
import { pruneRefreshTokens } from './modules/sessions/index.ts';
import { recomputeSummaries } from './modules/summaries/index.ts';
import { deliverWebhooks, fanOutWebhooks, pruneWebhooks, sweepWebhooks } from './modules/webhooks/index.ts';

/** The one handler of each job, checked against the list of job names when a process starts. */
export function jobHandlers(): JobHandlers {
  const handlers = {
    'summaries:recompute': recomputeSummaries,
    'attendance:end-of-day': endOfDayJob,
    'attendance:recompute': recomputeJob,
    'attendance:prune-changes': pruneChangesJob,
    'attendance:partition-punches': partitionPunchesJob,
    'assistant:ask': askJob,
    'sessions:prune': pruneRefreshTokens,
    'webhooks:deliver': deliverWebhooks,
    'webhooks:fanout': fanOutWebhooks,
    'webhooks:sweep': sweepWebhooks,
    'webhooks:prune': pruneWebhooks,
  };
  assertHandlers(handlers);
  return handlers;
}
