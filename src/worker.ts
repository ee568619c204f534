// `npm run worker`: the job runner of a scale-out deployment (REDIS_URL set). It computes summaries, closes days,
// and reports results through BullMQ to the API instances, which deliver them to their sockets.
import { writeFile, utimes } from 'node:fs/promises';
import { getPriority, setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { Bus } from './infra/bus.ts';
import { sqlOf, type Em } from './infra/db.ts';
import { createBullJobs, startBullWorker } from './infra/jobs/bullmq.ts';
import { createLogger, type Logger } from './infra/logger.ts';
import { openChannel } from './infra/channel.ts';
import { createRedis } from './infra/redis.ts';
import { createSequencer } from './infra/sequencer.ts';
import { openDatabase } from './database.ts';
import { untilReachable } from './infra/startup.ts';
import { jobHandlers } from './jobs.ts';
import { createWebhookFanout } from './modules/webhooks/index.ts';

/** Where the worker notes that it is alive (per container: the health check reads it). */
export const HEARTBEAT_FILE = join(tmpdir(), 'check-in-hub-worker.alive');

/** Starts a worker process: database, the queue worker and the recurring schedules. */
export async function startWorker(config: Config, opts: { log?: Logger } = {}) {
  const log = opts.log ?? createLogger(config.logLevel).child({ process: 'worker' });
  if (!config.redisUrl) throw new ConfigError('invalid configuration:\n  REDIS_URL: the worker needs Redis (without it, `npm start` runs jobs in-process)');
  const handlers = jobHandlers();
  const orm = await openDatabase(config);
  await untilReachable(orm, log, { migrate: false });
  const redis = createRedis(config.redisUrl);
  redis.on('error', (error) => log.warn({ err: error }, 'redis error'));
  const sequencer = createSequencer(redis, config.redisPrefix);
  const connection = { url: config.redisUrl, prefix: config.redisPrefix };
  const jobs = createBullJobs(connection, log);
  // The jobs' own domain events (a day closed, a summary changed) become webhook deliveries here.
  const bus = new Bus();
  const webhooks = createWebhookFanout({
    bus, sql: () => sqlOf(orm.em as Em), jobs, log,
    announce: openChannel('webhooks:changed', { redisUrl: config.redisUrl, prefix: config.redisPrefix, publisher: redis, clustered: false, log }),
  });
  const worker = await startBullWorker(connection, {
    orm, config, log, sequencer, handlers, jobs, concurrency: config.jobs.workerConcurrency, bus,
  });
  log.info({ concurrency: config.jobs.workerConcurrency }, 'worker ready');
  // Alive means: the queue worker runs and Redis answers. The health check (src/cli/healthcheck.ts) reads the file's age.
  const beat = async () => {
    try {
      if (!worker.worker.isRunning()) return;
      await Promise.race([redis.ping(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2_000))]);
      const now = new Date();
      await utimes(HEARTBEAT_FILE, now, now).catch(() => writeFile(HEARTBEAT_FILE, ''));
    } catch (error) {
      log.warn({ err: error }, 'worker heartbeat skipped');
    }
  };
  void beat();
  const heartbeat = setInterval(() => void beat(), config.jobs.heartbeatSeconds * 1000);
  heartbeat.unref();
  let stopping: Promise<void> | null = null;
  const stop = (signal: string) =>
    (stopping ??= (async () => {
      log.info({ signal }, 'worker stopping: letting running jobs finish');
      clearInterval(heartbeat);
      await worker.close();
      await webhooks.close();
      await jobs.close();
      await redis.quit().catch(() => undefined);
      await orm.close();
      log.info('worker stopped');
    })());
  return { stop };
}

/** Raises this process's niceness to `nice` (never lowers it: that would need privileges, and undo the operator's). */
function lowerPriority(nice: number) {
  try {
    setPriority(0, Math.max(nice, getPriorityOrZero()));
  } catch {
    // Not allowed here (some containers): the worker runs at its parent's priority.
  }
}
const getPriorityOrZero = () => {
  try {
    return getPriority(0);
  } catch {
    return 0;
  }
};

if (import.meta.main) {
  let config: Config;
  try {
    config = loadConfig();
    // Background work (webhook deliveries, summaries, the assistant's long questions) yields the CPU to the API
    // processes on a shared machine: punches and boards first, the rest as soon as there is room.
    lowerPriority(config.jobs.workerNice);
    const worker = await startWorker(config);
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => void worker.stop(signal).then(() => process.exit(0)));
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
}
