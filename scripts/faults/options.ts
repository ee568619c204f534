// The run's arguments and constants.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { RUN_ID } from '../../harness/index.ts';

export const { values: args } = parseArgs({
  options: {
    punches: { type: 'string' },
    kiosks: { type: 'string', default: '50' },
    short: { type: 'boolean', default: false },
    seconds: { type: 'string' },
    faults: { type: 'string', default: 'kill,redis,postgres,drop' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.error('npm run faults -- [--punches 10000] [--kiosks 50] [--short] [--seconds S]\n' +
    '  --short     1,000 punches over ~20 s (default: 10,000 over ~80 s)\n' +
    '  --seconds   how long the kiosks keep generating punches (the faults are spread over that time)\n' +
    '  --faults    which faults, in this order (default kill,redis,postgres,drop)');
  process.exit(0);
}
export const intArg = (name: string, value: string | undefined, fallback: number, min: number, max: number) => {
  const n = value === undefined ? fallback : Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    console.error(`--${name} must be a whole number from ${min} to ${max}`);
    process.exit(2);
  }
  return n;
};
export const PUNCHES = intArg('punches', args.punches, args.short ? 1_000 : 10_000, 1, 1_000_000);
export const KIOSKS = intArg('kiosks', args.kiosks, 50, 1, 1_000);
export const SECONDS = intArg('seconds', args.seconds, args.short ? 20 : 80, 4, 3_600);
export const FAULTS = args.faults.split(',').map((s) => s.trim()).filter(Boolean);
for (const f of FAULTS) {
  if (!['kill', 'redis', 'postgres', 'drop'].includes(f)) {
    console.error(`--faults: unknown fault "${f}" (kill, redis, postgres, drop)`);
    process.exit(2);
  }
}

export const TZ = 'UTC';
export const PG_HOST = '127.0.0.1';
export const PG_PORT = 5432;
export const PG_ADMIN_URL = `postgres://postgres@${PG_HOST}:${PG_PORT}/postgres`;
export const REDIS_PORT = 6379;
export const REDIS_URL = `redis://127.0.0.1:${REDIS_PORT}`;
export const DB_NAME = `checkin_faults_${RUN_ID}`;
export const DB_URL = `postgres://postgres@${PG_HOST}:${PG_PORT}/${DB_NAME}`;
export const REDIS_PREFIX = `faults:${RUN_ID}:`;
export const ADMIN_EMAIL = 'faults-admin@example.com';
export const ADMIN_PASSWORD = `Faults-${randomBytes(9).toString('base64url')}-42`;
export const SECRET_KEY = randomBytes(48).toString('base64url');
export const EVENT_PREFIX = `faults-${RUN_ID}-`;
export const LOG_DIR = join(os.tmpdir(), `checkin-faults-${RUN_ID}`);

export const ACK_TIMEOUT_MS = 6_000;
/** REST calls may wait for a hub that is reconnecting to PostgreSQL or Redis. */
export const API_TIMEOUT_MS = 60_000;
export const WINDOW = 8; // punches in flight per kiosk
export const DRAIN_DEADLINE_MS = args.short ? 120_000 : 300_000;
export const PERMANENT_CODES = new Set([
  'validation_error', 'unknown_badge', 'forbidden', 'employee_inactive', 'occurred_too_old', 'occurred_in_future',
  'client_event_id_conflict', 'record_deleted', 'not_checked_in', 'already_checked_in', 'not_found', 'punch_refused',
]);
/** Share of the punches that are poison, and how many employees are deleted during the run. */
export const POISON_SHARE = 0.05;
export const DOOMED = args.short ? 5 : 12;
/** The kiosk whose punches the scratch database refuses (a constraint on punches.device). */
export const POISON_KIOSK = 'Poison door';
/** What a punch is: an ordinary one, poison (refused by the edge or by the database), or one for someone deleted during the run. */
export type Kind = 'good' | 'nul' | 'refused' | 'doomed';
export const POISON_CODES: Record<'nul' | 'refused', string> = { nul: 'validation_error', refused: 'punch_refused' };
