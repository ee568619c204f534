// The faults themselves.
import { sleep, waitFor, withTimeout } from '../../harness/index.ts';
import { Kiosk } from './kiosks.ts';
import { startWithRetry } from './processes.ts';
import { PG_VERSION, pgCtl, pgReady, redisStart, redisStop, redisUp } from './services.ts';
import { everyProc, hubs } from './state.ts';
import { log } from './util.ts';

export type FaultLog = { name: string; started: string; ended: string; ms: number; detail: string };
export const faults: FaultLog[] = [];

export async function fault(name: string, run: () => Promise<string>) {
  const started = new Date();
  log(`FAULT ${faults.length + 1} start: ${name}`);
  const detail = await run();
  const ended = new Date();
  faults.push({ name, started: started.toISOString(), ended: ended.toISOString(), ms: ended.getTime() - started.getTime(), detail });
  log(`FAULT ${faults.length} end: ${name} (${ended.getTime() - started.getTime()} ms): ${detail}`);
}

export async function killAndRestartA() {
  const a = hubs[0]!;
  a.expectedExit = true;
  const killedAt = Date.now();
  a.child.kill('SIGKILL');
  await withTimeout(a.exited, 10_000, 'hub A exit');
  hubs[0] = null; // kiosks reconnecting now go to B (or retry until A is back)
  log(`hub A (pid ${a.child.pid}) killed with SIGKILL`);
  await sleep(1_000);
  const restarted = await startWithRetry('hub-A', 'src/main.ts');
  everyProc.push(restarted);
  hubs[0] = restarted;
  return `pid ${a.child.pid} SIGKILLed; restarted as pid ${restarted.child.pid} on ${restarted.url} after ${Date.now() - killedAt} ms`;
}

export async function restartRedis() {
  const before = Date.now();
  await redisStop();
  await waitFor('Redis down', async () => !(await redisUp()), 10_000, 100);
  const downAt = Date.now();
  await sleep(1_500);
  await redisStart();
  await waitFor('Redis up', redisUp, 30_000, 100);
  return `shutdown nosave → down after ${downAt - before} ms; up again ${Date.now() - downAt} ms later (empty)`;
}

export async function restartPostgres() {
  const before = Date.now();
  await pgCtl('restart');
  await waitFor('PostgreSQL up', pgReady, 60_000, 200);
  return `pg_ctlcluster ${PG_VERSION} main restart (fast): accepting connections again after ${Date.now() - before} ms`;
}

export async function dropHalf(kiosks: Kiosk[]) {
  const connected = kiosks.filter((k) => k.connected);
  const shuffled = connected.sort(() => Math.random() - 0.5);
  const chosen = shuffled.slice(0, Math.ceil(kiosks.length / 2));
  let dropped = 0;
  for (const k of chosen) if (k.dropConnection()) dropped++;
  return `io.engine.close() on ${dropped} of ${kiosks.length} kiosks (${connected.length} were connected)`;
}
