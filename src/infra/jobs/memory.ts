import { EventEmitter } from 'node:events';
import type { ToolCallLLM } from '@llamaindex/core/llms';
import type { Config } from '../../config.ts';
import type { Bus } from '../bus.ts';
import type { Em, Orm } from '../db.ts';
import { AppError } from '../errors.ts';
import { metrics } from '../metrics.ts';
import type { Logger } from '../logger.ts';
import { createBroadcaster } from '../broadcast.ts';
import type { Sequencer } from '../sequencer.ts';
import { localParts, zonedTimeToInstant, addDays } from '../time.ts';
import { schedulesFor, type AddOptions, type JobHandlers, type JobName, type JobResult, type Jobs } from './types.ts';

const ATTEMPTS = 3;
const BACKOFF_MS = 1000;

type Deps = { orm: Orm; config: Config; log: Logger; sequencer: Sequencer; handlers: JobHandlers; llm?: ToolCallLLM; bus?: Bus };

/**
 * Jobs in this process, for the embedded mode: the same handlers and schedules as the BullMQ worker, with
 * delays, de-duplication, retries with backoff, and a clean stop that lets running jobs finish.
 */
export function createMemoryJobs(deps: Deps): Jobs & { startSchedules(): void } {
  const events = new EventEmitter();
  const pending = new Map<string, NodeJS.Timeout>();
  const active = new Set<string>();
  const rerun = new Map<string, { name: JobName; data: Record<string, unknown> }>();
  const running = new Set<Promise<unknown>>();
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;
  const jobs: Jobs & { startSchedules(): void } = {
    async add(name, data, opts: AddOptions = {}) {
      if (closed) return;
      const key = opts.dedupId;
      if (key && pending.has(key)) return;
      if (key && active.has(key)) {
        rerun.set(key, { name, data });
        return;
      }
      const timer = setTimeout(() => {
        if (key) pending.delete(key);
        void execute(name, data, key);
      }, opts.delayMs ?? 0);
      if (key) pending.set(key, timer);
    },
    async run(name, data) {
      return execute(name, data, undefined, true);
    },
    async counts() {
      return { waiting: pending.size, active: running.size };
    },
    onDeliveries(listener) {
      events.on('deliveries', listener);
      return () => events.off('deliveries', listener);
    },
    startSchedules() {
      for (const schedule of schedulesFor(deps.config)) {
        if ('everyMs' in schedule) {
          const timer = setInterval(() => void jobs.add(schedule.name, schedule.data, { dedupId: schedule.id }), schedule.everyMs);
          timer.unref();
          timers.add(timer);
        } else {
          const arm = () => {
            const ms = msUntilLocal(schedule.at, deps.config.timezone);
            const timer = setTimeout(() => {
              timers.delete(timer);
              void jobs.add(schedule.name, schedule.data, { dedupId: schedule.id });
              arm();
            }, ms);
            timer.unref();
            timers.add(timer);
          };
          arm();
        }
      }
    },
    async close() {
      closed = true;
      for (const timer of [...pending.values(), ...timers]) clearTimeout(timer);
      pending.clear();
      await Promise.allSettled([...running]);
    },
  };

  async function execute(name: JobName, data: Record<string, unknown>, key: string | undefined, rethrow = false): Promise<JobResult> {
    if (key) active.add(key);
    const work = (async () => {
      for (let attempt = 1; ; attempt++) {
        const started = performance.now();
        try {
          const broadcast = createBroadcaster({
            sequencer: deps.sequencer,
            transport: (deliveries) => events.emit('deliveries', deliveries),
            onError: (error) => deps.log.warn({ err: error }, 'job broadcast failed'),
          });
          const result = await deps.handlers[name](data, { em: deps.orm.em.fork() as Em, config: deps.config, log: deps.log, jobs, broadcast, llm: deps.llm, bus: deps.bus });
          await broadcast.flushed();
          deps.log.info({ job: name, attempt, ms: Math.round(performance.now() - started) }, 'job done');
          metrics().jobDuration.observe({ job: name, outcome: 'done' }, (performance.now() - started) / 1000);
          return result;
        } catch (error) {
          deps.log.error({ job: name, attempt, err: error }, 'job failed');
          metrics().jobDuration.observe({ job: name, outcome: 'failed' }, (performance.now() - started) / 1000);
          // A 4xx will fail the same way again: no retry.
          if (attempt >= ATTEMPTS || closed || (error instanceof AppError && error.status < 500)) throw error;
          await new Promise((resolve) => setTimeout(resolve, BACKOFF_MS * 2 ** (attempt - 1)));
        }
      }
    })();
    running.add(work);
    try {
      return await work;
    } catch (error) {
      if (rethrow) throw error;
      return {};
    } finally {
      running.delete(work);
      if (key) {
        active.delete(key);
        const again = rerun.get(key);
        if (again) {
          rerun.delete(key);
          void jobs.add(again.name, again.data, { dedupId: key });
        }
      }
    }
  }

  return jobs;
}

/** Milliseconds until the next local 'HH:MM' in a zone. */
export function msUntilLocal(hhmm: string, tz: string, now = new Date()): number {
  const today = localParts(now, tz).date;
  let next = zonedTimeToInstant(today, hhmm, tz);
  if (next.getTime() <= now.getTime()) next = zonedTimeToInstant(addDays(today, 1), hhmm, tz);
  return next.getTime() - now.getTime();
}
