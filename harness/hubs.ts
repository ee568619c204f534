// Hubs ready to measure: embedded (PGlite, with the demo organisation) and PostgreSQL (+ Redis), each on its own
// scratch data, torn down at the end.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { scratchDatabase } from './database.ts';
import { hubEnv, run, startServer, type ServerProcess } from './process.ts';
import { deleteRedisKeys } from './redis.ts';
import { onCleanup, progress, RUN_ID } from './run.ts';

export type HubProcess = ServerProcess;

/**
 * Rate limits raised far above what the machine can do, so a bench measures the hub and not the limiter; and no
 * double-scan window, so each kiosk's punches for its badges (seconds apart) toggle in and out rather than being ignored.
 */
export const UNLIMITED = {
  PUNCH_DEBOUNCE_SECONDS: '0',
  KIOSK_PUNCHES_PER_SECOND: '10000',
  KIOSK_PUNCH_BURST: '100000',
  SOCKET_EVENTS_PER_SECOND: '10000',
  SOCKET_EVENT_BURST: '100000',
  SOCKET_MAX_PER_USER: '1000000',
  SOCKET_HANDSHAKES_PER_MINUTE: '10000000',
  HEAVY_REQUESTS_PER_USER: '100',
};

/** A temporary directory removed by `remove` (or at the end of the run). */
function tempDir(prefix: string) {
  const dir = mkdtempSync(join(os.tmpdir(), prefix));
  const remove = onCleanup(`remove ${dir}`, async () => rmSync(dir, { recursive: true, force: true }));
  return { dir, remove };
}

/** `workerPid`: the worker process beside the hub, when one was asked for. */
export type StartedHub = { hub: ServerProcess; mode: string; stop: () => Promise<void>; workerPid?: number };

/** The hub on a fresh PGlite DATA_DIR with the demo organisation (60 employees, 90 days); `stop` also removes the directory. */
export async function startEmbeddedHub(label: string, opts: { nodeArgs?: string[]; extraEnv?: Record<string, string> } = {}): Promise<StartedHub> {
  const data = tempDir('checkin-bench-embedded-');
  try {
    progress(`${label}: starting the hub on PGlite in ${data.dir} (demo organisation: 60 employees, 90 days)`);
    const env = hubEnv({ DATA_DIR: data.dir, SEED_DEMO: 'true', ...UNLIMITED, ...opts.extraEnv });
    return await startHub(label, env, opts.nodeArgs, 'embedded PGlite, no Redis', data.remove);
  } catch (error) {
    await data.remove();
    throw error;
  }
}

/** Starts src/main.ts on `env`; the hub's `stop` then runs `teardown` (its data directory, database, Redis keys). */
async function startHub(label: string, env: NodeJS.ProcessEnv, nodeArgs: string[] | undefined, mode: string, teardown: () => Promise<void>): Promise<StartedHub> {
  const hub = await startServer(env, /\bhub\b/.test(label) ? label : `${label} hub`, { nodeArgs });
  progress(`${label}: ready at ${hub.url} (pid ${hub.pid})`);
  const stop = async () => {
    progress(`${label}: stopping the hub`);
    try {
      await hub.stop();
    } finally {
      await teardown();
    }
  };
  return { hub, mode, stop };
}

/**
 * The hub on a fresh scratch PostgreSQL database seeded with exactly what `npm run db:seed -- --employees N --days D
 * [--teams T] --reset` runs, and Redis (when given) under a unique key prefix; `stop` stops the hub, then deletes the
 * keys (the sessions the hub keeps for disconnected sockets included), drops the database and removes the directory.
 */
export async function startPostgresHub(
  label: string,
  opts: { pgUrl: URL; redisUrl: string | null; employees: number; days: number; teams?: number; nodeArgs?: string[]; extraEnv?: Record<string, string>; worker?: boolean },
): Promise<StartedHub> {
  const name = `bench_hub_${RUN_ID}`;
  const prefix = `bench:${RUN_ID}:`;
  const data = tempDir('checkin-bench-pg-');
  let db: { url: string; drop: () => Promise<void> } | null = null;
  let dropKeys: (() => Promise<void>) | null = null;
  const teardown = async () => {
    try {
      await dropKeys?.();
      await db?.drop();
    } finally {
      await data.remove();
    }
  };
  try {
    db = await scratchDatabase(opts.pgUrl, name);
    const redisUrl = opts.redisUrl;
    if (redisUrl) dropKeys = onCleanup(`Redis keys ${prefix}*`, async () => void (await deleteRedisKeys(redisUrl, prefix)));
    const env = hubEnv({
      DATA_DIR: data.dir,
      DATABASE_URL: db.url,
      ...(redisUrl ? { REDIS_URL: redisUrl, REDIS_PREFIX: prefix } : {}),
      SEED_DEMO: 'false',
      ...UNLIMITED,
      ...opts.extraEnv,
    });
    const seedArgs = ['--employees', String(opts.employees), '--days', String(opts.days), ...(opts.teams ? ['--teams', String(opts.teams)] : []), '--reset'];
    progress(`${label}: seeding ${name} (db:seed ${seedArgs.join(' ')})`);
    const seedEnv = { ...env };
    delete seedEnv.REDIS_URL;
    const seeded = await run(process.execPath, ['src/cli/seed.ts', ...seedArgs], { env: seedEnv, timeoutMs: 600_000 });
    progress(`${label}: ${seeded.stdout.split('\n').find((l) => l.startsWith('Seeded')) ?? 'seeded'}`);
    progress(`${label}: starting the hub on ${name}${redisUrl ? ` with Redis prefix ${prefix}` : ' without Redis'}`);
    const started = await startHub(label, env, opts.nodeArgs, redisUrl ? 'PostgreSQL + Redis streams adapter' : 'PostgreSQL, no Redis', teardown);
    if (!opts.worker || !redisUrl) return started;
    // The jobs (summaries, recomputes, webhook deliveries) run where a scale-out deployment runs them.
    const worker = await startServer(env, `${label} worker`, { script: 'src/worker.ts', nodeArgs: opts.nodeArgs, isReady: (e) => (e.msg === 'worker ready' ? 0 : null) }).catch(async (error) => {
      await started.stop();
      throw error;
    });
    progress(`${label}: worker ready (pid ${worker.pid})`);
    return { ...started, workerPid: worker.pid, mode: `${started.mode} + a worker`, stop: async () => (await worker.stop(), await started.stop()) };
  } catch (error) {
    await teardown();
    throw error;
  }
}
