// The benchmark's flags and constants, read once at start-up: every part of the run reads them from here.
import { benchmarkArgs, listFlag, numberFlag } from '../../harness/index.ts';

const args = benchmarkArgs(
  'npm run bench:fanout -- [--watchers 1000] [--rate 100] [--seconds 10] [--warmup 2] [--kiosks 4]\n' +
    '                        [--employees 400 --teams 2]  (postgres mode: db:seed size)  [--wave 200]  (sockets opened at a time)\n' +
    '                        [--rounds 1]  (hub then ws, repeated: each hub run is compared with the ws run of its round)\n' +
    '                        [--hub-cpu-prof DIR]  (a V8 CPU profile of the hub process)\n' +
    '                        [--hub-client raw|socket.io]  (the hub watchers: the wire protocol over a bare ws client, or socket.io-client)\n' +
    '                        [--modes postgres,embedded] [--pg-url postgres://…/postgres] [--redis-url redis://…  ("" for none)]\n' +
    '                        [--processes 1]  (postgres: the hub with API_PROCESSES=N, N HTTP + Socket.IO processes on one port)',
  {
    watchers: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    kiosks: { type: 'string', default: '4' },
    employees: { type: 'string', default: '400' },
    teams: { type: 'string', default: '2' },
    wave: { type: 'string', default: '200' },
    rounds: { type: 'string', default: '1' },
    'hub-client': { type: 'string', default: 'raw' },
    'hub-cpu-prof': { type: 'string' },
    modes: { type: 'string', default: 'postgres' },
    'pg-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
    processes: { type: 'string', default: '1' },
  },
);
export const WATCHERS = Math.floor(numberFlag('watchers', args.watchers, 1, 20_000));
export const RATE = numberFlag('rate', args.rate, 1, 10_000);
export const SECONDS = numberFlag('seconds', args.seconds, 1, 3600);
export const WARMUP = numberFlag('warmup', args.warmup, 0, 600);
export const KIOSKS = Math.floor(numberFlag('kiosks', args.kiosks, 1, 100));
export const SEED_EMPLOYEES = Math.floor(numberFlag('employees', args.employees, 1, 100_000));
export const SEED_TEAMS = Math.floor(numberFlag('teams', args.teams, 1, 7));
export const WAVE = Math.floor(numberFlag('wave', args.wave, 1, 5000));
export const ROUNDS = Math.floor(numberFlag('rounds', args.rounds, 1, 20));
export const HUB_CLIENT = args['hub-client'];
/** Postgres mode: the hub's API_PROCESSES (the embedded hub is always one process). */
export const PROCESSES = Math.floor(numberFlag('processes', args.processes, 1, 64));
export const HUB_NODE_ARGS = args['hub-cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${args['hub-cpu-prof']}`] : [];
if (HUB_CLIENT !== 'raw' && HUB_CLIENT !== 'socket.io') {
  console.error('--hub-client must be raw or socket.io');
  process.exit(2);
}
export const MODES = listFlag('modes', args.modes, ['postgres', 'embedded'] as const);
export type Mode = (typeof MODES)[number];
export const PG_URL = new URL(args['pg-url']);
export const REDIS_URL = args['redis-url'] || null;
/** PostgreSQL and Redis matter (facts, restarts) only to the postgres mode. */
export const servicesOf = (postgres: boolean) => ({ pgUrl: postgres ? PG_URL : null, redisUrl: postgres ? REDIS_URL : null });
/** Members punched in turn: each is punched every MEMBERS / RATE seconds, so one punch per person is in flight. */
export const MIN_MEMBERS = Math.min(400, Math.max(20, Math.ceil(RATE * 2)));

export const EMIT_TIMEOUT_MS = 10_000;
/** How long the stragglers of the last punch are waited for. */
export const DRAIN_MS = 10_000;
/** The whole run's time budget: past it, the run stops and cleans up. */
export const budgetMs = (900 + ROUNDS * (MODES.length + 1) * (WARMUP + SECONDS + 240)) * 1000;
