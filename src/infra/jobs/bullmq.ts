import { Queue, QueueEvents, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Config } from '../../config.ts';
import type { Bus } from '../bus.ts';
import type { Em, Orm } from '../db.ts';
import { AppError } from '../errors.ts';
import { metrics } from '../metrics.ts';
import type { Logger } from '../logger.ts';
import { createBroadcaster } from '../broadcast.ts';
import type { Sequencer } from '../sequencer.ts';
import { schedulesFor, type Delivery, type JobHandlers, type JobName, type JobResult, type Jobs } from './types.ts';

const QUEUE = 'hub';

type Connection = { url: string; prefix: string };

const connectionOf = (c: Connection) => {
  const url = new URL(c.url);
  return {
    host: url.hostname,
    port: Number(url.port || 6379),
    username: url.username || undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0,
    tls: url.protocol === 'rediss:' ? {} : undefined,
    // BullMQ's blocking connections must never give up on a command.
    maxRetriesPerRequest: null,
  };
};

/** Retries with backoff, failed jobs kept a week for inspection, finished ones removed after an hour. */
const JOB_OPTIONS = {
  attempts: 3,
  backoff: { type: 'exponential' as const, delay: 1000 },
  removeOnComplete: { age: 3600, count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

/** The producer side, used by API instances: adds jobs and hears every job's socket deliveries. */
export function createBullJobs(c: Connection, log: Logger): Jobs {
  const connection = connectionOf(c);
  const prefix = `${c.prefix}bull`;
  const queue = new Queue(QUEUE, { connection, prefix });
  const events = new QueueEvents(QUEUE, { connection, prefix });
  queue.on('error', (error) => log.warn({ err: { message: error.message } }, 'queue error'));
  events.on('error', (error) => log.warn({ err: { message: error.message } }, 'queue events error'));
  return {
    async add(name, data, opts = {}) {
      await queue.add(name, data, {
        ...JOB_OPTIONS,
        delay: opts.delayMs,
        ...(opts.dedupId ? { deduplication: { id: opts.dedupId, keepLastIfActive: true } } : {}),
      });
    },
    async run(name, data, timeoutMs = 60_000) {
      await events.waitUntilReady();
      const job = await queue.add(name, data, JOB_OPTIONS);
      return (await job.waitUntilFinished(events, timeoutMs)) as JobResult;
    },
    async counts() {
      return queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized');
    },
    onDeliveries(listener) {
      // A job's broadcasts travel as its progress: { deliveries }.
      const progress = ({ data }: { data: unknown }) => {
        const value = (typeof data === 'string' ? JSON.parse(data) : data) as { deliveries?: Delivery[] } | null;
        if (value && typeof value === 'object' && value.deliveries?.length) listener(value.deliveries);
      };
      events.on('progress', progress as never);
      return () => {
        events.off('progress', progress as never);
      };
    },
    async close() {
      await events.close();
      await queue.close();
    },
  };
}

/** The consumer side (`npm run worker`): one worker dispatching on the job name, and the recurring schedules. */
export async function startBullWorker(
  c: Connection,
  deps: { orm: Orm; config: Config; log: Logger; sequencer: Sequencer; handlers: JobHandlers; jobs: Jobs; concurrency?: number; bus?: Bus },
) {
  const connection = connectionOf(c);
  const prefix = `${c.prefix}bull`;
  const queue = new Queue(QUEUE, { connection, prefix });
  for (const schedule of deps.config.jobs.schedules ? schedulesFor(deps.config) : []) {
    const repeat = 'everyMs' in schedule
      ? { every: schedule.everyMs }
      : { pattern: `${Number(schedule.at.slice(3, 5))} ${Number(schedule.at.slice(0, 2))} * * *`, tz: deps.config.timezone };
    await queue.upsertJobScheduler(schedule.id, repeat, { name: schedule.name, data: schedule.data, opts: JOB_OPTIONS });
  }
  const worker = new Worker(
    QUEUE,
    async (job: Job) => {
      try {
        return await runOne(job);
      } catch (error) {
        // A 4xx will fail the same way again: BullMQ must not retry it.
        if (error instanceof AppError && error.status < 500) throw new UnrecoverableError(error.message);
        throw error;
      }
    },
    {
      connection,
      prefix,
      concurrency: deps.concurrency ?? 2,
      // A worker that dies mid-job loses its lock after lockDuration; the next stalled check hands the job on.
      lockDuration: deps.config.jobs.lockSeconds * 1000,
      stalledInterval: Math.max(500, (deps.config.jobs.lockSeconds * 1000) / 2),
      maxStalledCount: 2,
    },
  );
  async function runOne(job: Job) {
    const handler = deps.handlers[job.name as JobName];
    if (!handler) throw new Error(`no handler for job ${job.name}`);
    const started = performance.now();
    const progressSent: Promise<unknown>[] = [];
    const log = deps.log.child({ job: job.name, job_id: job.id });
    const broadcast = createBroadcaster({
      sequencer: deps.sequencer,
      transport: (deliveries) => void progressSent.push(job.updateProgress({ deliveries }).catch(() => undefined)),
      onError: (error) => log.warn({ err: error }, 'job broadcast failed'),
    });
    const result = await handler(job.data as Record<string, unknown>, { em: deps.orm.em.fork() as Em, config: deps.config, log, jobs: deps.jobs, broadcast, bus: deps.bus });
    await broadcast.flushed();
    // Streamed pieces go out before the result does, so the client sees them in order.
    await Promise.all(progressSent);
    deps.log.info({ job: job.name, job_id: job.id, attempt: job.attemptsMade + 1, ms: Math.round(performance.now() - started) }, 'job done');
    metrics().jobDuration.observe({ job: job.name, outcome: 'done' }, (performance.now() - started) / 1000);
    return result;
  }
  worker.on('failed', (job, error) =>
    deps.log.error({ job: job?.name, job_id: job?.id, attempts: job?.attemptsMade, err: error }, 'job failed'),
  );
  worker.on('error', (error) => deps.log.warn({ err: { message: error.message } }, 'worker error'));
  await worker.waitUntilReady();
  return {
    worker,
    /** Lets running jobs finish, then closes. */
    async close() {
      await worker.close();
      await queue.close();
    },
  };
}
