import cluster from 'node:cluster';
import type { Server as HttpServer } from 'node:http';
import type { ToolCallLLM } from '@llamaindex/core/llms';
import { createAdaptorServer, serve } from '@hono/node-server';
import { createApp, type AppDeps } from './app.ts';
import { prepareDatabase } from './bootstrap.ts';
import { createBudgets } from './budgets.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { openDatabase } from './database.ts';
import { Bus } from './infra/bus.ts';
import { openChannel } from './infra/channel.ts';
import { processIndex, takeConnections } from './infra/cluster.ts';
import { sqlOf, type Em } from './infra/db.ts';
import { GroupCommits } from './infra/group-commit.ts';
import { createBullJobs } from './infra/jobs/bullmq.ts';
import { createMemoryJobs } from './infra/jobs/memory.ts';
import type { Jobs } from './infra/jobs/types.ts';
import { createLogger, type Logger } from './infra/logger.ts';
import { createRedis } from './infra/redis.ts';
import { createSequencer } from './infra/sequencer.ts';
import { withRetry } from './infra/startup.ts';
import { jobHandlers } from './jobs.ts';
import { assistantSocket } from './modules/assistant/index.ts';
import { attendanceSocket, broadcastAttendanceChanges, broadcastCorrections } from './modules/attendance/index.ts';
import { boardsSocket } from './modules/boards/index.ts';
import { employees } from './modules/employees/index.ts';
import { authenticateKiosk, KIOSK_TOKEN_PREFIX, kiosks, kiosksSocket } from './modules/kiosks/index.ts';
import { createSocketServer, type SocketIdentity } from './modules/realtime/index.ts';
import { authenticate } from './modules/sessions/index.ts';
import { createSummaryTrigger } from './modules/summaries/index.ts';
import { createWebhookFanout } from './modules/webhooks/index.ts';
import { startPrimary } from './primary.ts';

/**
 * Starts the hub in this process: database, HTTP API, docs and Socket.IO on one port.
 * `opts.llm` replaces the language model the configuration names, for POST /chat/ and for `assistant:ask` when jobs
 * run in this process (without REDIS_URL); tests pass a scripted model here.
 * @example const hub = await start(loadConfig()); … await hub.stop('SIGTERM');
 */
export async function start(config: Config, opts: { log?: Logger; llm?: ToolCallLLM } = {}) {
  // One of API_PROCESSES processes (src/primary.ts): the primary migrated, accepts the connections and, without
  // Redis, keeps what the processes share.
  const index = processIndex();
  const clustered = index !== null && !config.redisUrl;
  const log = (opts.log ?? createLogger(config.logLevel)).child(index === null ? {} : { process: index });
  const started = performance.now();
  log.info({ mode: config.database ? 'postgresql' : 'embedded', redis: Boolean(config.redisUrl), timezone: config.timezone }, 'starting');
  // The ORM is created without waiting for the database: the server listens (and /readyz says "not ready") while
  // the database comes up; requests that need it meanwhile get 503.
  const orm = await openDatabase(config);
  const database = { ready: false };
  const bringUp = withRetry('database', log, async () => {
    // One of several processes: the primary prepared the database before starting it.
    if (index === null) await prepareDatabase(orm, config, log);
    else await orm.em.fork().execute('select 1');
    database.ready = true;
  });
  // A database that answers at once is ready before the first request; one that is down does not hold the start.
  await Promise.race([bringUp, new Promise((resolve) => setTimeout(resolve, config.database ? 10_000 : 600_000))]);
  if (!database.ready) log.warn('starting without the database; it is retried in the background');

  const redis = config.redisUrl ? createRedis(config.redisUrl) : null;
  // The Socket.IO adapter's own connection waits out a Redis outage instead of failing its reads.
  const adapterRedis = config.redisUrl ? createRedis(config.redisUrl, { forBlocking: true }) : null;
  for (const client of [redis, adapterRedis]) client?.on('error', (error) => log.warn({ err: error }, 'redis error'));
  const bus = new Bus();
  const budgets = createBudgets(config, redis, { primary: clustered });
  const commits = new GroupCommits(config);
  const sequencer = createSequencer(redis ?? (clustered ? 'primary' : null), config.redisPrefix);
  let jobs: Jobs;
  if (config.redisUrl) {
    // Scale-out: jobs run in `npm run worker` processes; this instance adds them and relays their results.
    jobs = createBullJobs({ url: config.redisUrl, prefix: config.redisPrefix }, log);
  } else {
    const memory = createMemoryJobs({ orm, config, log, sequencer, handlers: jobHandlers(), llm: opts.llm, bus });
    // The recurring schedules run once per deployment: in process 0 of several.
    if (config.jobs.schedules && (index ?? 0) === 0) {
      memory.startSchedules();
      void memory.add('summaries:recompute', { all: true }, { delayMs: 1000, dedupId: 'summaries:all' });
    }
    jobs = memory;
  }
  // A burst of punches in a team leads to one recompute of its summary, shortly after.
  const summaries = createSummaryTrigger(jobs, { debounceMs: config.jobs.summaryDebounceMs, log });
  bus.subscribe('attendance.changed', (change) => summaries.changed(change.team_id));
  // A change of working time (a schedule's new version, an assignment, a holiday, a late punch in an earlier week):
  // the days it affects are recomputed in the background.
  bus.subscribe('workday.changed', (change) => void jobs.add('attendance:recompute', change).catch((error) => log.error({ err: error }, 'could not queue a recompute')));
  const deps: AppDeps = {
    config,
    orm,
    log,
    bus,
    budgets,
    commits,
    jobs,
    llm: opts.llm,
    readiness: async () => {
      const checks: Record<string, string> = {};
      try {
        if (!database.ready) throw new Error('not migrated yet');
        await orm.em.fork().execute('select 1');
        checks.database = 'ok';
      } catch {
        checks.database = 'unavailable';
      }
      if (redis) {
        try {
          await Promise.race([redis.ping(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 1000))]);
          checks.redis = 'ok';
        } catch {
          checks.redis = 'unavailable';
        }
      }
      return checks;
    },
  };
  const app = createApp(deps);
  // One of several processes does not listen: the primary hands it connections.
  const server = (index === null ? serve({ fetch: app.fetch, port: config.port, hostname: config.host }) : createAdaptorServer({ fetch: app.fetch })) as HttpServer;
  const requests = index === null ? null : inFlight(server);
  // Plain SQL only: the root entity manager, no fork per handshake or sweep.
  const root = () => sqlOf(orm.em as Em);
  const realtime = createSocketServer(server, {
    config, orm, log, bus, budgets, commits, jobs, sequencer,
    redis: adapterRedis,
    clustered,
    registry: redis ?? (clustered ? 'primary' : null),
    keyPrefix: config.redisPrefix,
    identify: async (token): Promise<SocketIdentity | null> => {
      if (typeof token !== 'string' || token.length === 0 || token.length > 4096) return null;
      if (token.startsWith(KIOSK_TOKEN_PREFIX)) {
        const kiosk = await authenticateKiosk(root(), token);
        return kiosk ? { kind: 'kiosk', ...kiosk } : null;
      }
      const user = await authenticate(orm.em as Em, config, token);
      return user ? { kind: 'user', ...user } : null;
    },
    currentUsers: (ids) => employees.principals(root(), ids),
    liveKiosks: (ids) => kiosks.live(root(), ids),
    handlers: [attendanceSocket, boardsSocket, assistantSocket, kiosksSocket],
  });
  const offChanges = broadcastAttendanceChanges(bus, realtime.broadcast);
  // Committed changes become webhook deliveries: written and queued in batches, never waited for by a punch.
  const webhooks = createWebhookFanout({
    bus, sql: root, jobs, log,
    announce: openChannel('webhooks:changed', { redisUrl: config.redisUrl, prefix: config.redisPrefix, publisher: redis, clustered, log }),
  });
  const offCorrections = broadcastCorrections(bus, realtime.broadcast);
  deps.presence = { onlineKiosks: () => realtime.onlineKiosks() };
  let port = config.port;
  if (index === null) {
    await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', () => resolve())));
    const address = server.address();
    if (typeof address === 'object' && address) port = address.port;
    log.info({ port, ms: Math.round(performance.now() - started) }, `ready on http://localhost:${port} (docs at /docs)`);
  } else {
    takeConnections(server, realtime.io.engine).ready();
    log.info({ pid: process.pid, ms: Math.round(performance.now() - started) }, 'API process ready');
  }

  let stopping: Promise<void> | null = null;
  const stop = (signal: string) =>
    (stopping ??= (async () => {
      log.info({ signal }, 'shutting down');
      // 1. No new connections; requests already in flight finish (their keep-alive sockets close after).
      const httpClosed = requests ? requests.drained() : new Promise<void>((resolve) => server.close(() => resolve()));
      if (requests) server.close();
      server.closeIdleConnections?.();
      // 2. Punches already received are committed and acknowledged before the sockets go.
      await commits.drain();
      // 3. Sockets, then jobs (running ones finish), then the connections.
      offChanges();
      offCorrections();
      await webhooks.close();
      await realtime.close();
      summaries.flush();
      await Promise.race([httpClosed, new Promise((resolve) => setTimeout(resolve, 5_000))]);
      server.closeAllConnections?.();
      await jobs.close();
      await Promise.all([redis?.quit().catch(() => undefined), adapterRedis?.quit().catch(() => undefined)]);
      await orm.close();
      log.info('stopped');
    })());
  return { server, port, orm, log, bus, realtime, jobs, commits, webhooks, stop };
}

export type Hub = Awaited<ReturnType<typeof start>>;

/** Counts the requests being answered, for a server that does not listen itself (whose close() cannot wait for them). */
function inFlight(server: HttpServer) {
  let active = 0;
  let idle: (() => void) | null = null;
  server.on('request', (_req, res) => {
    active++;
    res.once('close', () => {
      if (--active === 0) idle?.();
    });
  });
  return {
    drained: () => (active === 0 ? Promise.resolve() : new Promise<void>((resolve) => (idle = resolve))),
  };
}

if (import.meta.main) {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  if (cluster.isPrimary && config.apiProcesses > 1) {
    // Several API processes on the one port (src/primary.ts); each stops itself as below when told.
    const log = createLogger(config.logLevel);
    process.on('unhandledRejection', (reason) => log.error({ err: reason }, 'unhandled rejection'));
    const primary = await startPrimary(config, log);
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void primary.stop(signal).then(() => process.exit(0)));
  } else {
    const hub = await start(config);
    // A library promise that fails with nobody listening must not take the whole hub down with it.
    process.on('unhandledRejection', (reason) => hub.log.error({ err: reason }, 'unhandled rejection'));
    const stop = (signal: string) => {
      // A shutdown that hangs (a peer that never answers) ends anyway. Only the process's own signals arm this: a
      // hub started inside another program (the tests) is stopped by it, and never exits it.
      setTimeout(() => process.exit(1), 20_000).unref();
      void hub.stop(signal).then(() => process.exit(0));
    };
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => stop(signal));
    // One of several API processes whose primary is gone: nobody can reach it any more.
    if (cluster.isWorker) process.once('disconnect', () => stop('disconnect'));
  }
}
