// PostgreSQL and Redis as services (shared with everything else on this machine): restarted by the faults, always
// brought back at the end.
import { readdirSync } from 'node:fs';
import { waitFor } from '../../harness/index.ts';
import { PG_HOST, PG_PORT, REDIS_PORT } from './options.ts';
import { log, sh } from './util.ts';

export const PG_VERSION = (() => {
  try {
    return readdirSync('/etc/postgresql').sort().at(-1) ?? '15';
  } catch {
    return '15';
  }
})();
export const pgCtl = (action: 'start' | 'stop' | 'restart') => sh('pg_ctlcluster', ['--skip-systemctl-redirect', PG_VERSION, 'main', action], 120_000);
export const pgReady = () => sh('pg_isready', ['-h', PG_HOST, '-p', String(PG_PORT), '-t', '2'], 10_000).then(() => true, () => false);
export const redisUp = () => sh('redis-cli', ['-p', String(REDIS_PORT), 'ping'], 5_000).then((out) => out.trim() === 'PONG', () => false);
export const redisStart = () =>
  sh('redis-server', ['--daemonize', 'yes', '--bind', '127.0.0.1', '--port', String(REDIS_PORT), '--save', '', '--appendonly', 'no'], 30_000);
export const redisStop = () => sh('redis-cli', ['-p', String(REDIS_PORT), 'shutdown', 'nosave'], 30_000).catch(() => '');

/** Brings PostgreSQL and Redis back if they are down; never throws. */
export async function ensureServicesUp() {
  try {
    if (!(await pgReady())) {
      log(`PostgreSQL is down: starting cluster ${PG_VERSION}/main`);
      await pgCtl('start').catch((error) => log(`pg_ctlcluster start: ${(error as Error).message}`));
      await waitFor('PostgreSQL up', pgReady, 60_000);
    }
  } catch (error) {
    log(`could not bring PostgreSQL up: ${(error as Error).message}`);
  }
  try {
    if (!(await redisUp())) {
      log('Redis is down: starting redis-server');
      await redisStart().catch((error) => log(`redis-server: ${(error as Error).message}`));
      await waitFor('Redis up', redisUp, 30_000);
    }
  } catch (error) {
    log(`could not bring Redis up: ${(error as Error).message}`);
  }
}
