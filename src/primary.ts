import cluster, { type Worker } from 'node:cluster';
import { createServer } from 'node:net';
import { setupPrimary as setupClusterAdapter } from '@socket.io/cluster-adapter';
import { RateLimiterClusterMaster } from 'rate-limiter-flexible';
import { prepareDatabase } from './bootstrap.ts';
import type { Config } from './config.ts';
import { openDatabase } from './database.ts';
import { balanceConnections, serveCalls } from './infra/cluster.ts';
import type { Logger } from './infra/logger.ts';
import { clusterMetrics } from './infra/metrics.ts';
import { createSequencer } from './infra/sequencer.ts';
import { withRetry } from './infra/startup.ts';
import { memoryConversations } from './modules/assistant/conversation.ts';
import { createConnectionRegistry } from './modules/realtime/index.ts';

/** How long the API processes get to drain after SIGTERM before the primary stops waiting for them. */
const DRAIN_MS = 25_000;

/**
 * The primary of `API_PROCESSES` API processes on one port (PostgreSQL only). It does what must happen once per
 * deployment before any process serves (migrations, the first admin), accepts the connections and hands them out,
 * restarts a process that dies, and on SIGTERM lets every process drain before it exits.
 *
 * Without Redis it also keeps what the processes share (instances of a scale-out deployment share it through
 * Redis): the per-team change counters, the open sockets per owner, the budgets (rate-limiter-flexible's cluster
 * store), the assistant's conversations, the Socket.IO adapter's messages (@socket.io/cluster-adapter) and the
 * announcements between processes. Jobs run in the processes; the recurring schedules in process 0 only.
 */
export async function startPrimary(config: Config, log: Logger) {
  const started = performance.now();
  const count = config.apiProcesses;
  log.info({ processes: count, redis: Boolean(config.redisUrl) }, 'starting the API processes');
  if (!config.redisUrl) {
    const sequencer = createSequencer(null, '');
    const sockets = createConnectionRegistry(null, '', config.socket.maxPerUser);
    const conversations = memoryConversations();
    serveCalls({
      'seq.reserve': (key: string, n: number) => sequencer.reserve(key, n),
      'seq.current': (key: string) => sequencer.current(key),
      'sockets.add': (owner: string, id: string) => sockets.add(owner, id),
      'sockets.remove': (owner: string, id: string) => sockets.remove(owner, id),
      'conversations.get': (employee: number, id: string) => conversations.get(employee, id),
      'conversations.set': (employee: number, id: string, turn: Parameters<typeof conversations.set>[2]) => conversations.set(employee, id, turn),
    });
    new RateLimiterClusterMaster();
    setupClusterAdapter();
  }

  // A scrape of /metrics on any process gets every process's metrics, added up here.
  serveCalls({ metrics: clusterMetrics() });

  // Connections are accepted from the start; until a process is ready they get 503.
  const server = createServer();
  const balancer = balanceConnections(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;

  // Once per deployment, before any process serves.
  const orm = await openDatabase(config);
  await withRetry('database', log, () => prepareDatabase(orm, config, log));
  await orm.close();

  let stopping = false;
  const byIndex = new Map<number, Worker>();
  const restarts = new Map<number, number[]>();
  const fork = (index: number) => {
    // Every process is told the port (PORT=0 picks one here) and that the database is migrated.
    const worker = cluster.fork({ HUB_PROCESS_INDEX: String(index), PORT: String(port), MIGRATE_ON_START: 'false' });
    byIndex.set(index, worker);
    worker.on('exit', (code, signal) => {
      if (byIndex.get(index) === worker) byIndex.delete(index);
      if (stopping) return;
      // A process that dies is started again; one that keeps dying is started again less and less often.
      const now = Date.now();
      const recent = (restarts.get(index) ?? []).filter((at) => now - at < 60_000);
      restarts.set(index, [...recent, now]);
      const wait = Math.min(30_000, 250 * 2 ** recent.length);
      log.error({ process: index, code, signal, restart_in_ms: wait }, 'an API process exited; starting it again');
      setTimeout(() => !stopping && fork(index), wait).unref();
    });
  };
  for (let index = 0; index < count; index++) fork(index);
  await new Promise<void>((resolve) => {
    const check = () => (balancer.readyCount() >= count ? resolve() : setTimeout(check, 25));
    check();
  });
  log.info({ port, processes: count, ms: Math.round(performance.now() - started) }, `ready on http://localhost:${port} (docs at /docs)`);

  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down the API processes');
    server.close();
    const exits = [...byIndex.values()].map(
      (worker) =>
        new Promise<void>((resolve) => {
          if (worker.isDead()) return resolve();
          worker.once('exit', () => resolve());
          worker.process.kill('SIGTERM');
        }),
    );
    const all = Promise.all(exits);
    const timedOut = await Promise.race([all.then(() => false), new Promise<boolean>((resolve) => setTimeout(() => resolve(true), DRAIN_MS).unref())]);
    if (timedOut) for (const worker of byIndex.values()) worker.process.kill('SIGKILL');
    log.info({ drained: !timedOut }, 'stopped');
  };
  return { port, stop };
}
