// The benchmark's flags and constants, read once at start-up: every part of the run reads them from here.
import { benchmarkArgs, listFlag, numberFlag } from '../../harness/index.ts';

export const args = benchmarkArgs(
  'npm run bench:realtime -- [--seconds 10] [--warmup 2] [--kiosks 200] [--watchers 10] [--rates 1000] [--no-closed] [--client raw|socket.io] [--employees 1000]\n' +
    '                          [--pgbench-clients 8] [--modes embedded,postgres] [--pg-url postgres://…/postgres] [--redis-url redis://…]\n' +
    '                          [--hub-cpu-prof DIR]   (writes a V8 CPU profile of each hub and worker process to DIR)\n' +
    '                          [--worker]   (postgres: a worker process beside the hub runs the jobs)\n' +
    '                          [--webhook]  (a receiver in a process of its own, one endpoint subscribed to every event)\n' +
    '                          [--processes 1]  (postgres: the hub with API_PROCESSES=N, N HTTP + Socket.IO processes on one port)',
  {
    kiosks: { type: 'string', default: '200' },
    watchers: { type: 'string', default: '10' },
    rates: { type: 'string', default: '1000' },
    closed: { type: 'boolean', default: true },
    client: { type: 'string', default: 'raw' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    employees: { type: 'string', default: '1000' },
    'pgbench-clients': { type: 'string', default: '8' },
    modes: { type: 'string', default: 'embedded,postgres' },
    'pg-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
    'hub-cpu-prof': { type: 'string' },
    worker: { type: 'boolean', default: false },
    webhook: { type: 'boolean', default: false },
    processes: { type: 'string', default: '1' },
  },
);
export const KIOSKS = Math.floor(numberFlag('kiosks', args.kiosks, 1, 2000));
export const WATCHERS = Math.floor(numberFlag('watchers', args.watchers, 0, 1000));
export const SECONDS = numberFlag('seconds', args.seconds, 1, 3600);
export const WARMUP = numberFlag('warmup', args.warmup, 0, 600);
export const SEED_EMPLOYEES = Math.floor(numberFlag('employees', args.employees, 1, 100_000));
export const PGBENCH_CLIENTS = Math.floor(numberFlag('pgbench-clients', args['pgbench-clients'], 1, 500));
export const RATES = args.rates
  .split(',')
  .map((r) => r.trim())
  .filter((r) => r && r !== '0')
  .map((r) => Math.floor(numberFlag('rates', r, 1, 100_000)));
/** Each hub mode runs a closed loop (the most it sustains), then each offered rate (latency at that load). */
export const PHASES: { mode: 'closed' | 'open'; rate: number | null }[] = [
  ...(args.closed ? [{ mode: 'closed' as const, rate: null }] : []),
  ...RATES.map((rate) => ({ mode: 'open' as const, rate })),
];
const client = args.client;
if (client !== 'raw' && client !== 'socket.io') {
  console.error('--client must be raw or socket.io');
  process.exit(2);
}
/** raw: the wire-protocol client (light, so the load generator's share stays small); socket.io: what the pages run. */
export const CLIENT: 'raw' | 'socket.io' = client;
export type Mode = 'embedded' | 'postgres';
export const MODES = listFlag<Mode>('modes', args.modes, ['embedded', 'postgres']);
export const PG_URL = new URL(args['pg-url']);
export const REDIS_URL = args['redis-url'];
/** Node flags for each hub process (--hub-cpu-prof DIR: a V8 CPU profile of each). */
/** Postgres mode: a worker process (npm run worker) beside the hub, as a scale-out deployment runs. */
export const WORKER = Boolean(args.worker);
/** One webhook endpoint (a receiver in this process) subscribed to every event. */
export const WEBHOOK = Boolean(args.webhook);
/** Postgres mode: the hub's API_PROCESSES (the embedded hub is always one process). */
export const PROCESSES = Math.floor(numberFlag('processes', args.processes, 1, 64));
export const HUB_NODE_ARGS = args['hub-cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${args['hub-cpu-prof']}`] : [];

export const EMIT_TIMEOUT_MS = 10_000;
/** How long a phase waits, after its last punch, for the broadcasts still on their way. */
export const DRAIN_MS = 5_000;

/** The whole run's time budget: start-up, pgbench, every phase of every mode, and seeding for postgres. */
export const budgetMs = (900 + (1 + 2 * PHASES.length) * (WARMUP + SECONDS + 10) + (MODES.includes('postgres') ? 600 : 0)) * 1000;
