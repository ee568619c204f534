// Running a benchmark or a script: progress lines, bounded waits, command-line flags, cleanups that run on every path
// (normal end, error, signal, watchdog), and the child processes to kill at exit. One run per process: the state here
// is the process's. Nothing here asserts.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const RUN_ID = `${process.pid}_${randomBytes(3).toString('hex')}`;

const startedAt = performance.now();
export const progress = (msg: string) => process.stderr.write(`[bench +${((performance.now() - startedAt) / 1000).toFixed(1)}s] ${msg}\n`);
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Rejects after `ms` with `what` in the message; the timer never outlives the promise. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Polls `check` every `everyMs` until it returns something truthy, and resolves with that; a check that throws counts as
 * "not yet". Fails after `timeoutMs` naming `what` (and the last error, if any).
 */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 10_000, everyMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = null;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`);
    }
    await sleep(everyMs);
  }
}

/** A numeric command-line value within bounds, or exit 2 with a message. */
export function numberFlag(name: string, value: string | undefined, min: number, max: number) {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) {
    console.error(`--${name} must be a number from ${min} to ${max}`);
    process.exit(2);
  }
  return n;
}

/** A comma-separated list flag whose every item is one of `allowed`, or exit 2 with a message. */
export function listFlag<T extends string>(name: string, value: string, allowed: readonly T[]): T[] {
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const item of items) {
    if (!allowed.includes(item as T)) {
      console.error(`--${name}: unknown value "${item}" (${allowed.join(', ')})`);
      process.exit(2);
    }
  }
  return items as T[];
}

/** Cleanups to run at the end (or on a signal / the watchdog), newest first, each bounded in time. */
const cleanups: { name: string; run: () => Promise<void> }[] = [];
export function onCleanup(name: string, run: () => Promise<void>) {
  const entry = { name, run };
  cleanups.push(entry);
  return async () => {
    const i = cleanups.indexOf(entry);
    if (i < 0) return;
    cleanups.splice(i, 1);
    await withTimeout(run(), 30_000, `cleanup ${name}`);
  };
}
export async function runCleanups() {
  while (cleanups.length) {
    const entry = cleanups.pop()!;
    try {
      await withTimeout(entry.run(), 30_000, `cleanup ${entry.name}`);
    } catch (error) {
      progress(`cleanup ${entry.name} failed: ${(error as Error).message}`);
    }
  }
}

/** Set once a signal or the watchdog ends the run: nothing new is started after that. */
let finishing = false;
export const isFinishing = () => finishing;
export const checkNotFinishing = () => {
  if (finishing) throw new Error('the benchmark is being stopped');
};

/** Children still alive when this process exits for any reason are killed. */
export const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/**
 * Bounds the whole run: after `budgetMs`, or on SIGINT/SIGTERM, children get SIGTERM, the cleanups run (bounded) and
 * the process exits. Returns `release`, to call once the run ended normally (after its own cleanups).
 */
export function guardRun(budgetMs: number) {
  const abort = async (reason: string, code: number) => {
    if (finishing) return;
    finishing = true;
    progress(`${reason}; cleaning up`);
    for (const child of children) child.kill('SIGTERM');
    await withTimeout(runCleanups(), 60_000, 'cleanup').catch((error) => progress((error as Error).message));
    process.exit(code);
  };
  const watchdog = setTimeout(() => void abort(`the benchmark exceeded its ${Math.round(budgetMs / 1000)} s budget`, 1), budgetMs);
  const onSignal = (signal: NodeJS.Signals) => void abort(`received ${signal}`, 130);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return () => {
    clearTimeout(watchdog);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

/**
 * Everything is closed once a run ends, so the process ends by itself. If it is still alive a few seconds later,
 * something leaked: say what, and end it (this timer does not itself keep the process alive).
 */
export function exitSoonIfStuck() {
  setTimeout(() => {
    progress(`still running 5 s after the end; open handles: ${process.getActiveResourcesInfo().join(', ')}; exiting`);
    process.exit(process.exitCode ?? 1);
  }, 5_000).unref();
}

/**
 * Runs `body` bounded by `budgetMs` (and SIGINT/SIGTERM), then every cleanup, on every path. `body` resolves to
 * false when a part of the run failed (the exit code becomes 1); a throw is reported and fails the run too.
 */
export async function runMain(budgetMs: number, body: () => Promise<boolean>) {
  const release = guardRun(budgetMs);
  let ok = false;
  try {
    ok = await body();
  } catch (error) {
    ok = false;
    progress(`failed: ${(error as Error).stack ?? error}`);
  } finally {
    await runCleanups();
    release();
  }
  if (!ok) process.exitCode = 1;
  exitSoonIfStuck();
}
