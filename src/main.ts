import type { Server as HttpServer } from 'node:http';
import { serve } from '@hono/node-server';
import { createApp } from './app.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { Bus } from './infra/bus.ts';
import type { Em } from './infra/db.ts';
import { createLogger } from './infra/logger.ts';
import { connectWithRetry, ensureAdmin, seedIfEmpty } from './infra/startup.ts';
import { LoginThrottle } from './modules/auth/index.ts';

/** Starts the whole hub in this process: database, HTTP API (and docs) on one port. */
export async function start(config: Config) {
  const log = createLogger(config.logLevel);
  const started = performance.now();
  log.info({ mode: config.database ? 'postgresql' : 'embedded', redis: Boolean(config.redisUrl), timezone: config.timezone }, 'starting');
  const orm = await connectWithRetry(config, log, { migrate: config.migrateOnStart || !config.database });
  const em = orm.em.fork() as Em;
  await ensureAdmin(em, config, log);
  if (!config.database && config.seedDemo) await seedIfEmpty(em, config, log);

  const bus = new Bus();
  const app = createApp({
    config,
    orm,
    log,
    bus,
    throttle: new LoginThrottle(config.login),
    readiness: async () => {
      try {
        await orm.em.fork().execute('select 1');
        return { database: 'ok' };
      } catch {
        return { database: 'unavailable' };
      }
    },
  });
  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }) as HttpServer;
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  log.info({ port, ms: Math.round(performance.now() - started) }, `ready on http://localhost:${port} (docs at /docs)`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 15_000).unref();
    server.close();
    server.closeIdleConnections?.();
    await orm.close();
    clearTimeout(force);
    log.info('stopped');
  };
  return { server, port, orm, log, stop };
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
  const hub = await start(config);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => void hub.stop(signal).then(() => process.exit(0)));
  }
}
