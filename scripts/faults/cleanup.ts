// Cleanup, on every path (normal end, error, SIGINT/SIGTERM).
import { children, deleteRedisKeys, withTimeout } from '../../harness/index.ts';
import { DB_NAME, LOG_DIR, PG_ADMIN_URL, REDIS_PREFIX, REDIS_URL } from './options.ts';
import { stopProc } from './processes.ts';
import { ensureServicesUp, pgReady, redisUp } from './services.ts';
import { extraKiosks, extraSockets, hubs, kiosks, state, watchers } from './state.ts';
import { log, query } from './util.ts';

export function cleanup(): Promise<void> {
  return (state.cleaning ??= (async () => {
    state.finishing = true;
    if (state.ticker) clearInterval(state.ticker);
    log('cleaning up');
    for (const k of [...kiosks, ...extraKiosks]) k.close();
    for (const s of extraSockets) s.close();
    for (const w of watchers) w.close();
    await Promise.allSettled([...hubs.map((h) => stopProc(h)), stopProc(state.worker)]);
    for (const child of children) child.kill('SIGKILL');
    await ensureServicesUp();
    if (state.dbCreated) {
      await query(PG_ADMIN_URL, `drop database if exists "${DB_NAME}" with (force)`).then(
        () => log(`dropped database ${DB_NAME}`),
        (error) => log(`could not drop database ${DB_NAME}: ${(error as Error).message}`),
      );
    }
    await deleteRedisKeys(REDIS_URL, REDIS_PREFIX, { quiet: true }).then(
      (deleted) => log(`deleted ${deleted} Redis keys under ${REDIS_PREFIX}`),
      (error) => log(`could not delete the Redis keys: ${(error as Error).message}`),
    );
    await ensureServicesUp();
    log(`PostgreSQL ${(await pgReady()) ? 'up' : 'DOWN'}, Redis ${(await redisUp()) ? 'up' : 'DOWN'}; child logs in ${LOG_DIR}`);
  })());
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`received ${signal}`);
    void withTimeout(cleanup(), 120_000, 'cleanup')
      .catch((error) => log((error as Error).message))
      .finally(() => process.exit(130));
  });
}
