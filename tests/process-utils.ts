// The hub and the worker as their own processes, started exactly as `npm start` and `npm run worker` start them.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export type HubProcess = { child: ChildProcess; url: string; port: number; logs: string[]; stop: (timeoutMs?: number) => Promise<number | null> };
export type WorkerProcess = { child: ChildProcess; logs: string[]; stop: (timeoutMs?: number) => Promise<number | null> };

/** The repository root: children run from there whatever the caller's working directory. */
const ROOT = fileURLToPath(new URL('..', import.meta.url));

type LogEntry = { msg?: string; port?: number };

/**
 * Runs `script` with `env` (on top of PATH, HOME and LOG_LEVEL=info; nothing else inherited) and resolves once a JSON
 * log line satisfies `isReady`, with that entry; a process that is not ready within `timeoutMs` is killed (SIGKILL).
 * `stop()` sends SIGTERM and waits for the exit (SIGKILL after `timeoutMs`, default 20 s).
 */
function spawnUntilReady(script: string, what: string, env: Record<string, string>, timeoutMs: number, isReady: (entry: LogEntry) => boolean) {
  const child = spawn(process.execPath, [script], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const stop = (stopTimeoutMs = 20_000) =>
    new Promise<number | null>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
      const force = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
      child.once('exit', (code) => {
        clearTimeout(force);
        resolve(code);
      });
      child.kill('SIGTERM');
    });
  return new Promise<{ child: ChildProcess; logs: string[]; stop: typeof stop; entry: LogEntry }>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what} did not start within ${timeoutMs / 1000} s:\n${logs.join('')}`));
    }, timeoutMs);
    child.stderr!.on('data', (chunk) => logs.push(String(chunk)));
    let buffered = '';
    child.stdout!.on('data', (chunk) => {
      logs.push(String(chunk));
      buffered += String(chunk);
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        let entry: LogEntry;
        try {
          entry = JSON.parse(line);
        } catch {
          continue;
        }
        if (isReady(entry)) {
          clearTimeout(timer);
          resolve({ child, logs, stop, entry });
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}:\n${logs.join('')}`));
    });
  });
}

/** Runs src/main.ts (PORT=0, HOST=127.0.0.1 unless `env` says otherwise) and resolves once it logs that it is ready. */
export async function spawnHub(env: Record<string, string>, timeoutMs = 60_000): Promise<HubProcess> {
  const { entry, ...rest } = await spawnUntilReady('src/main.ts', 'hub', { PORT: '0', HOST: '127.0.0.1', ...env }, timeoutMs, (e) => Boolean(e.msg?.startsWith('ready on') && e.port));
  return { ...rest, url: `http://127.0.0.1:${entry.port}`, port: entry.port! };
}

/** Runs src/worker.ts (`npm run worker`) with the given environment and resolves once it logs 'worker ready'. */
export async function spawnWorker(env: Record<string, string>, timeoutMs = 60_000): Promise<WorkerProcess> {
  const { entry: _ready, ...rest } = await spawnUntilReady('src/worker.ts', 'worker', env, timeoutMs, (e) => e.msg === 'worker ready');
  return rest;
}
