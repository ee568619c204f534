// The benchmark's flags, the constants of a ramp, and the whole run's budget.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { benchmarkArgs, listFlag, numberFlag } from '../../harness/index.ts';

export const args = benchmarkArgs(
  'npm run bench:connections -- [--sockets 10000] [--wave 500] [--tokens 20] [--quiet 5]  (minimum seconds before a memory reading)\n' +
    '                             [--warmup-sockets 200] [--employees 200] [--pg-url postgres://…/postgres] [--redis-url redis://…  ("" for none)]\n' +
    '                             [--servers hub,sio,ws]  (which rows: the hub, a bare Socket.IO server (what the framework alone costs), plain ws; --no-sio drops sio)\n' +
    '                             [--no-gc]  (no inspector in the servers: RSS after a quiet period instead of after full GCs)\n' +
    '                             [--heap-diff]  (heap snapshots before and at N/4 sockets: what grew per socket; inflates later RSS readings)\n' +
    '                             [--heap-dir DIR]  (with --heap-diff: also write the snapshots there, <server>-<sockets>.heapsnapshot, for Chrome DevTools)\n' +
    '                             [--cpu-prof DIR]  (a CPU profile of each server while it accepts the first N/4, through its inspector; summarised in the report)\n' +
    '                             [--node-args "…"]  (more Node flags for the server children)',
  {
    sockets: { type: 'string', default: '10000' },
    wave: { type: 'string', default: '500' },
    tokens: { type: 'string', default: '20' },
    quiet: { type: 'string', default: '5' },
    'warmup-sockets': { type: 'string', default: '200' },
    employees: { type: 'string', default: '200' },
    'pg-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
    servers: { type: 'string', default: 'hub,sio,ws' },
    sio: { type: 'boolean', default: true },
    gc: { type: 'boolean', default: true },
    'heap-diff': { type: 'boolean', default: false },
    'heap-dir': { type: 'string' },
    'cpu-prof': { type: 'string' },
    'node-args': { type: 'string', default: '' },
  },
);

export const SOCKETS = Math.floor(numberFlag('sockets', args.sockets, 1, 100_000));
export const WAVE = Math.floor(numberFlag('wave', args.wave, 1, 5000));
export const TOKENS = Math.floor(numberFlag('tokens', args.tokens, 1, 1000));
export const QUIET_S = numberFlag('quiet', args.quiet, 1, 600);
export const WARMUP_SOCKETS = Math.floor(numberFlag('warmup-sockets', args['warmup-sockets'], 0, 10_000));
export const SEED_EMPLOYEES = Math.floor(numberFlag('employees', args.employees, 1, 100_000));
export const PG_URL = new URL(args['pg-url']);
export const REDIS_URL = args['redis-url'] || null;
export const SERVERS = listFlag('servers', args.servers, ['hub', 'sio', 'ws'] as const).filter((s) => s !== 'sio' || args.sio);
export type ServerKey = (typeof SERVERS)[number];
export const GC = args.gc;
export const HEAP_DIFF = args['heap-diff'];
export const HEAP_DIR = args['heap-dir'] ? resolve(args['heap-dir']) : null;
if (HEAP_DIR) mkdirSync(HEAP_DIR, { recursive: true });
export const CPU_DIR = args['cpu-prof'] ? resolve(args['cpu-prof']) : null;
if (CPU_DIR && !GC) {
  console.error('--cpu-prof needs the inspector: drop --no-gc');
  process.exit(2);
}
if (CPU_DIR) mkdirSync(CPU_DIR, { recursive: true });
if (HEAP_DIFF && !GC) {
  console.error('--heap-diff needs the inspector: drop --no-gc');
  process.exit(2);
}
/**
 * The servers' Node flags: an inspector on loopback, on a free port, for the full GCs and snapshots. The forced GCs
 * age bytecode like idle time would, and V8 then flushes the accept path's bytecode between segments: recompiling it
 * made each connection cost 1.1 ms of server CPU instead of 0.8-0.9 (the memory per socket is the same either way).
 * So bytecode is kept (--no-flush-bytecode), and the CPU and accept numbers stay those of a server that was not
 * made to collect.
 */
export const SERVER_NODE_ARGS = [...(GC ? ['--inspect=127.0.0.1:0', '--no-flush-bytecode'] : []), ...args['node-args'].split(/\s+/).filter(Boolean)];
export const CONNECT_TIMEOUT_MS = 60_000;
/** Where the ramp pauses for a quiet memory reading, as shares of the sockets. */
export const CHECKPOINTS = [0.25, 0.5, 0.75, 1];
/** Without the inspector (--no-gc), a reading is taken once RSS moved less than 512 KB over this many one-second samples. */
export const STABLE_SAMPLES = 10;
/** With it, once RSS moved less than 512 KB over this many full-GC-then-read rounds, one second apart. */
export const GC_STABLE_ROUNDS = 3;
/** A wave in which more than this share fails ends the ramp: the limit is reached. */
export const STOP_FAILURE_SHARE = 0.5;

/** The whole run's time budget: per server, every wave may wait out its connect timeout, plus the readings. */
export const budgetMs = (900 + SERVERS.length * (Math.ceil(SOCKETS / WAVE) * (CONNECT_TIMEOUT_MS / 1000 + 5) + 300)) * 1000;
