// The hub as its own process, started exactly as `npm start` starts it.
import { spawn, type ChildProcess } from 'node:child_process';

export type HubProcess = { child: ChildProcess; url: string; port: number; logs: string[]; stop: () => Promise<number | null> };

/** Runs src/main.ts with the given environment and resolves once it logs that it is ready. */
export function spawnHub(env: Record<string, string>, timeoutMs = 60_000): Promise<HubProcess> {
  const child = spawn(process.execPath, ['src/main.ts'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const stop = () =>
    new Promise<number | null>((resolve) => {
      if (child.exitCode !== null) return resolve(child.exitCode);
      child.once('exit', (code) => resolve(code));
      child.kill('SIGTERM');
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hub did not start:\n${logs.join('')}`)), timeoutMs);
    child.stderr!.on('data', (chunk) => logs.push(String(chunk)));
    let buffered = '';
    child.stdout!.on('data', (chunk) => {
      logs.push(String(chunk));
      buffered += String(chunk);
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        const entry = JSON.parse(line) as { msg?: string; port?: number };
        if (entry.msg?.startsWith('ready on') && entry.port) {
          clearTimeout(timer);
          resolve({ child, url: `http://127.0.0.1:${entry.port}`, port: entry.port, logs, stop });
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`hub exited with ${code}:\n${logs.join('')}`));
    });
  });
}

export type WorkerProcess = { child: ChildProcess; logs: string[]; stop: (timeoutMs?: number) => Promise<number | null> };

/**
 * Runs src/worker.ts (`npm run worker`) with the given environment and resolves once it logs 'worker ready'.
 * `stop()` sends SIGTERM and waits for the exit (SIGKILL after `timeoutMs`).
 */
export function spawnWorker(env: Record<string, string>, timeoutMs = 60_000): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['src/worker.ts'], {
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
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`worker did not start:\n${logs.join('')}`));
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
        if ((JSON.parse(line) as { msg?: string }).msg === 'worker ready') {
          clearTimeout(timer);
          resolve({ child, logs, stop });
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code}:\n${logs.join('')}`));
    });
  });
}
