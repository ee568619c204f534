// Child processes: a command run to completion, and long-running servers (the hub, a worker, a baseline) started until
// they say they are ready, with their output read for their whole life and their stop registered as a cleanup.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { ENV_VARIABLES } from '../src/config.ts';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from './credentials.ts';
import { checkNotFinishing, children, onCleanup, progress, ROOT, withTimeout } from './run.ts';

/** Runs a command to completion (bounded); resolves with its output, rejects on a non-zero exit. */
export function run(
  cmd: string,
  argv: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs: number; echoStderr?: boolean; onStderr?: (chunk: string) => void },
) {
  checkNotFinishing();
  return new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd: ROOT, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk) => (stdout += String(chunk)));
    child.stderr!.on('data', (chunk) => {
      stderr += String(chunk);
      if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
      if (opts.echoStderr) process.stderr.write(chunk);
      opts.onStderr?.(String(chunk));
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${argv.join(' ')}: killed after ${opts.timeoutMs} ms`));
    }, opts.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      children.delete(child);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${cmd} ${argv.join(' ')} exited with ${code ?? signal}:\n${stderr.slice(-2000)}${stdout.slice(-2000)}`));
    });
  });
}

/** Calls `onLine` with each complete, non-blank line of a child's output stream (a line split over chunks waits for its end). */
export function eachLine(stream: Readable, onLine: (line: string) => void) {
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) onLine(line);
  });
}

/** Every variable the hub reads (src/config.ts): removed from the inherited environment, then set explicitly. */
export const HUB_VARS = ENV_VARIABLES;

/** The inherited environment without any hub variable, plus a development hub's basics and `extra`. */
export function hubEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of HUB_VARS) delete env[name];
  return {
    ...env,
    NODE_ENV: 'development',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    // One API process unless a benchmark asks for more (`--processes`): every figure names its process count.
    API_PROCESSES: '1',
    SECRET_KEY: randomBytes(48).toString('base64url'),
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    ...extra,
  };
}

/** A long-running child (the hub, a baseline server) that prints JSON lines on stdout. */
export type ServerProcess = {
  child: ChildProcess;
  url: string;
  port: number;
  pid: number;
  /** The last log lines (for error messages). */
  tail: string[];
  /** Log lines at level error or above since start. */
  errorLines: string[];
  /** The inspector's WebSocket URL when the child was started with --inspect (from its "Debugger listening on" line). */
  inspectorUrl: string | null;
  /** Every output line (each ending in a newline) when started with `keepLogs`; else empty. */
  logs: string[];
  /** SIGTERM, then SIGKILL after the grace period; resolves with the exit code (null after a signal). */
  stop: (graceMs?: number) => Promise<number | null>;
};

/** The hub's ready line: `{"msg":"ready on …","port":N}`. */
export const hubReady = (entry: { msg?: string; port?: number }) => (entry.msg?.startsWith('ready on') && typeof entry.port === 'number' ? entry.port : null);

/**
 * Starts `node <nodeArgs> <script> <scriptArgs>` (src/main.ts by default) as a child process on this process's Node
 * binary, and resolves once a stdout JSON line satisfies `isReady`, which returns the port (default: the hub's "ready
 * on" line). Its stdout is read for its whole life (a full pipe would stall it); its stop (SIGTERM, then SIGKILL after
 * `stopGraceMs`, default 20 s) is registered as a cleanup.
 */
export async function startServer(
  env: NodeJS.ProcessEnv,
  label: string,
  opts: {
    script?: string;
    nodeArgs?: string[];
    scriptArgs?: string[];
    timeoutMs?: number;
    stopGraceMs?: number;
    isReady?: (entry: Record<string, any>) => number | null;
    /** Keep every output line (tests read them); a benchmark keeps only the last ones. */
    keepLogs?: boolean;
    /** Register the stop as a cleanup of this run (a test stops its children itself). Default true. */
    cleanup?: boolean;
  } = {},
): Promise<ServerProcess> {
  checkNotFinishing();
  const timeoutMs = opts.timeoutMs ?? 180_000;
  const isReady: (entry: Record<string, any>) => number | null = opts.isReady ?? hubReady;
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), opts.script ?? 'src/main.ts', ...(opts.scriptArgs ?? [])], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const tail: string[] = [];
  const errorLines: string[] = [];
  const logs: string[] = [];
  let inspectorUrl: string | null = null;
  const remember = (line: string) => {
    tail.push(line);
    if (tail.length > 60) tail.shift();
    if (opts.keepLogs) logs.push(`${line}\n`);
  };
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      children.delete(child);
      resolve();
    }),
  );
  let stopping = false;
  const stop = async (graceMs?: number) => {
    stopping = true;
    if (!exited) {
      child.kill('SIGTERM');
      const grace = graceMs ?? opts.stopGraceMs ?? 20_000;
      const graceful = await withTimeout(exitedPromise, grace, `${label} stop`).then(() => true, () => false);
      if (!graceful) {
        progress(`${label}: did not stop within ${grace / 1000} s of SIGTERM (still busy with its backlog?); killing it`);
        child.kill('SIGKILL');
        await withTimeout(exitedPromise, 5_000, `${label} kill`).catch(() => undefined);
      }
    }
    child.stdout?.destroy();
    child.stderr?.destroy();
    return child.exitCode;
  };
  // Stopped by the run's cleanups unless stopped before (a stopped child is forgotten by them).
  let cleanup: (() => Promise<void>) | null = opts.cleanup === false ? null : onCleanup(`stop ${label}`, async () => void (await stop()));
  const unregister = async (graceMs?: number) => {
    const code = await stop(graceMs);
    const forget = cleanup;
    cleanup = null;
    await forget?.();
    return code;
  };
  eachLine(child.stderr!, (line) => {
    remember(line);
    inspectorUrl ??= /^Debugger listening on (ws:\/\/\S+)/.exec(line)?.[1] ?? null;
  });
  return new Promise<ServerProcess>((resolve, reject) => {
    let ready = false;
    const fail = (message: string) => {
      clearTimeout(timer);
      void unregister().catch(() => undefined);
      reject(new Error(`${label}: ${message}\n${tail.slice(-30).join('\n')}`));
    };
    const timer = setTimeout(() => fail(`not ready within ${timeoutMs / 1000} s`), timeoutMs);
    eachLine(child.stdout!, (line) => {
      remember(line);
      // Once ready, only error lines matter: no JSON.parse of every request log line in the load generator.
      if (ready && !/"level":\s*[56]\d/.test(line)) return;
      let entry: Record<string, any> | null = null;
      try {
        entry = line.startsWith('{') ? JSON.parse(line) : null;
      } catch {
        entry = null;
      }
      if (entry && (entry.level ?? 0) >= 50) errorLines.push(line);
      const port = !ready && entry ? isReady(entry) : null;
      if (port != null) {
        ready = true;
        clearTimeout(timer);
        resolve({ child, url: `http://127.0.0.1:${port}`, port, pid: child.pid!, tail, errorLines, inspectorUrl, logs, stop: unregister });
      }
    });
    child.once('exit', (code, signal) => {
      if (!ready) fail(`exited with ${code ?? signal} before it was ready`);
      // A server that dies on its own during a measurement says why (its last lines) before the run notices.
      else if (!stopping) progress(`${label} (pid ${child.pid}) exited unexpectedly with ${code ?? signal}; its last lines:\n${tail.slice(-20).join('\n')}`);
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The hub and the worker as tests and scripts start them: exactly as `npm start` and `npm run worker` do, every line kept.

export type HubChild = { child: ChildProcess; url: string; port: number; logs: string[]; stop: (timeoutMs?: number) => Promise<number | null> };
export type WorkerChild = { child: ChildProcess; logs: string[]; stop: (timeoutMs?: number) => Promise<number | null> };

/**
 * Only PATH, HOME and LOG_LEVEL=info are inherited: each test names what it sets (API_PROCESSES=1, one process per
 * hub, unless the test asks for several).
 */
const childEnv = (env: Record<string, string>) => ({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'info', API_PROCESSES: '1', ...env });

/** Runs src/main.ts (PORT=0, HOST=127.0.0.1 unless `env` says otherwise) and resolves once it logs that it is ready. */
export async function spawnHub(env: Record<string, string>, timeoutMs = 60_000): Promise<HubChild> {
  const hub = await startServer(childEnv({ PORT: '0', HOST: '127.0.0.1', ...env }), 'hub', { timeoutMs, keepLogs: true, cleanup: false, isReady: hubReady });
  return { child: hub.child, url: hub.url, port: hub.port, logs: hub.logs, stop: hub.stop };
}

/** Runs src/worker.ts (`npm run worker`) with the given environment and resolves once it logs 'worker ready'. */
export async function spawnWorker(env: Record<string, string>, timeoutMs = 60_000): Promise<WorkerChild> {
  // The worker has no port: its "worker ready" line stands for one.
  const worker = await startServer(childEnv(env), 'worker', { script: 'src/worker.ts', timeoutMs, keepLogs: true, cleanup: false, isReady: (e) => (e.msg === 'worker ready' ? 0 : null) });
  return { child: worker.child, logs: worker.logs, stop: worker.stop };
}
