// The skeleton every benchmark shares: its command-line flags (with --help), a bounded run that cleans up on every
// path, the machine's facts, parts that may fail without ending the run, and one Markdown report on stdout.
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { machineFacts } from './machine.ts';
import { isFinishing, progress, runMain } from './run.ts';

const HELP = { help: { type: 'boolean', default: false } } as const;

/** Parses the flags `options` (plus --help, which prints `usage` and exits 0). Negated booleans (--no-x) are accepted. */
export function benchmarkArgs<O extends ParseArgsOptionsConfig>(usage: string, options: O) {
  const { values } = parseArgs({ allowNegative: true, options: { ...options, ...HELP } as O & typeof HELP });
  if ((values as { help?: boolean }).help) {
    console.error(usage);
    process.exit(0);
  }
  return values;
}

export type BenchmarkContext = {
  /** Markdown bullet lines on the machine, Node, PostgreSQL and Redis, read at the start. */
  facts: string[];
  /**
   * Runs one part of the benchmark: its result, or its error (reported, and the run's exit code becomes 1) so the
   * other parts still run and the report shows the failure in its place.
   */
  part<T>(what: string, fn: () => Promise<T>): Promise<T | Error>;
  /** Marks the run as failed (exit code 1) for a reason found along the way: the report is still written. */
  fail(reason: string): void;
};

export type Benchmark = {
  /** The whole run's time budget: past it (or on SIGINT/SIGTERM) the run stops, cleans up and exits 1. */
  budgetMs: number;
  /** The services whose versions and settings the report states (null: not used by this run). */
  services: { pgUrl: URL | null; redisUrl?: string | null };
  /** Runs before the facts are read (say, waiting for a PostgreSQL that other work on the machine is restarting). */
  prepare?: () => Promise<void>;
  /** Measures, and resolves with the report (Markdown, written to stdout unless the run is being stopped). */
  main: (ctx: BenchmarkContext) => Promise<string>;
};

/** Runs a benchmark: bounded, cleaned up on every path, exit code 1 when a part failed. */
export async function defineBenchmark(spec: Benchmark): Promise<void> {
  await runMain(spec.budgetMs, async () => {
    let ok = true;
    await spec.prepare?.();
    const ctx: BenchmarkContext = {
      facts: await machineFacts(spec.services.pgUrl, spec.services.redisUrl),
      async part(what, fn) {
        try {
          return await fn();
        } catch (error) {
          ok = false;
          progress(`${what} failed: ${(error as Error).stack ?? error}`);
          return error as Error;
        }
      },
      fail(reason) {
        ok = false;
        progress(`failed: ${reason}`);
      },
    };
    const report = await spec.main(ctx);
    if (!isFinishing()) process.stdout.write(`${report}\n`);
    return ok;
  });
}
