// Child processes: the two API instances and the worker, started until ready, restarted when they die on their own.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { children, eachLine, ROOT, withTimeout } from '../../harness/index.ts';
import { ADMIN_EMAIL, ADMIN_PASSWORD, DB_URL, LOG_DIR, REDIS_PREFIX, REDIS_URL, SECRET_KEY, TZ } from './options.ts';
import { everyProc, hubs, state } from './state.ts';
import { log } from './util.ts';

export type Proc = {
  name: string;
  child: ChildProcess;
  url: string | null;
  errorLines: string[];
  tail: string[];
  exited: Promise<void>;
  /** Set when this script ended it on purpose (fault or cleanup). */
  expectedExit: boolean;
};

export const HUB_ENV = (): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? '/tmp',
  NODE_ENV: 'development',
  // Each hub is one process: the faults kill and restart instances.
  API_PROCESSES: '1',
  HOST: '127.0.0.1',
  PORT: '0',
  LOG_LEVEL: 'info',
  TIMEZONE: TZ,
  DATA_DIR: join(LOG_DIR, 'data'),
  DATABASE_URL: DB_URL,
  REDIS_URL,
  REDIS_PREFIX,
  SECRET_KEY,
  ACCESS_TOKEN_EXPIRE_MINUTES: '240',
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  MIGRATE_ON_START: 'false',
  JOB_SCHEDULES: 'false',
  KIOSK_PUNCHES_PER_SECOND: '5000',
  KIOSK_PUNCH_BURST: '50000',
  SOCKET_EVENTS_PER_SECOND: '5000',
  SOCKET_EVENT_BURST: '50000',
  SOCKET_MAX_PER_USER: '100000',
  SOCKET_HANDSHAKES_PER_MINUTE: '1000000',
  LOGIN_MAX_FAILURES: '1000',
  LOGIN_MAX_FAILURES_PER_ADDRESS: '100000',
});

export const unexpectedExits: string[] = [];

/** Starts src/main.ts or src/worker.ts and resolves once it is ready; its output goes to a file under LOG_DIR. */
export function startProc(name: string, script: 'src/main.ts' | 'src/worker.ts', timeoutMs = 120_000): Promise<Proc> {
  const child = spawn(process.execPath, [script], { cwd: ROOT, env: HUB_ENV(), stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const file: WriteStream = createWriteStream(join(LOG_DIR, `${name}.log`), { flags: 'a' });
  file.write(`--- ${new Date().toISOString()} start ${script} (pid ${child.pid})\n`);
  const proc: Proc = {
    name, child, url: null, errorLines: [], tail: [], expectedExit: false,
    exited: new Promise((resolve) => child.once('exit', () => resolve())),
  };
  const remember = (line: string) => {
    proc.tail.push(line);
    if (proc.tail.length > 40) proc.tail.shift();
  };
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    file.write(chunk);
    for (const line of chunk.split('\n')) if (line.trim()) remember(line);
  });
  return new Promise<Proc>((resolve, reject) => {
    let ready = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} not ready within ${timeoutMs / 1000} s:\n${proc.tail.join('\n')}`));
    }, timeoutMs);
    child.stdout!.on('data', (chunk: string) => file.write(chunk));
    eachLine(child.stdout!, (line) => {
      remember(line);
      let entry: { level?: number; msg?: string; port?: number } | null = null;
      try {
        entry = line.startsWith('{') ? JSON.parse(line) : null;
      } catch {
        entry = null;
      }
      if (entry && (entry.level ?? 0) >= 50) proc.errorLines.push(line);
      if (ready) return;
      if (script === 'src/main.ts' && entry?.msg?.startsWith('ready on') && typeof entry.port === 'number') {
        proc.url = `http://127.0.0.1:${entry.port}`;
      } else if (!(script === 'src/worker.ts' && entry?.msg === 'worker ready')) {
        return;
      }
      ready = true;
      clearTimeout(timer);
      resolve(proc);
    });
    child.once('exit', (code, signal) => {
      children.delete(child);
      file.end(`--- ${new Date().toISOString()} exited with ${code ?? signal}\n`);
      if (!ready) {
        clearTimeout(timer);
        reject(new Error(`${name} exited with ${code ?? signal} before it was ready:\n${proc.tail.join('\n')}`));
      } else if (!proc.expectedExit) {
        unexpectedExits.push(`${name} (pid ${child.pid}) exited with ${code ?? signal} at ${new Date().toISOString()}`);
        log(`UNEXPECTED: ${name} exited with ${code ?? signal}; last lines:\n${proc.tail.slice(-15).join('\n')}`);
        if (!state.finishing) void restartAfterCrash(name);
      }
    });
  });
}

/** startProc, tried again (up to 3 times) when the process dies before it is ready: something else on this machine may end it. */
export async function startWithRetry(name: string, script: 'src/main.ts' | 'src/worker.ts'): Promise<Proc> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startProc(name, script);
    } catch (error) {
      if (attempt >= 3 || state.finishing) throw error;
      unexpectedExits.push(`${name} died while starting (attempt ${attempt}): ${(error as Error).message.split('\n')[0]}`);
      log(`UNEXPECTED: ${(error as Error).message.split('\n')[0]}; starting ${name} again`);
    }
  }
}

export async function stopProc(proc: Proc | null, timeoutMs = 20_000) {
  if (!proc || proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  proc.expectedExit = true;
  proc.child.kill('SIGTERM');
  const graceful = await withTimeout(proc.exited, timeoutMs, `${proc.name} stop`).then(() => true, () => false);
  if (!graceful) {
    log(`${proc.name} did not stop within ${timeoutMs / 1000} s of SIGTERM: killing it`);
    proc.child.kill('SIGKILL');
    await withTimeout(proc.exited, 5_000, `${proc.name} kill`).catch(() => undefined);
  }
}


/** A hub or the worker that died without being told to is started again (and reported). */
export async function restartAfterCrash(name: string) {
  try {
    if (name === 'worker') {
      state.worker = await startWithRetry('worker', 'src/worker.ts');
      everyProc.push(state.worker);
    } else {
      const i = name === 'hub-A' ? 0 : 1;
      hubs[i] = null;
      hubs[i] = await startWithRetry(name, 'src/main.ts');
      everyProc.push(hubs[i]!);
    }
    log(`${name} restarted after its unexpected exit`);
  } catch (error) {
    log(`could not restart ${name}: ${(error as Error).message}`);
  }
}
