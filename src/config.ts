import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import * as v from 'valibot';
import { parseProxies } from './infra/client-address.ts';
import { isTimeZone } from './infra/time.ts';

/** Levels accepted by LOG_LEVEL (pino's). */
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const intFrom = (min: number, max: number) =>
  v.pipe(v.string(), v.trim(), v.regex(/^\d+$/, 'must be a whole number'), v.transform(Number), v.minValue(min), v.maxValue(max));

/** A decimal number (`0.5`), within bounds. */
const numberFrom = (min: number, max: number) =>
  v.pipe(v.string(), v.trim(), v.regex(/^\d+(\.\d+)?$/, 'must be a number'), v.transform(Number), v.minValue(min), v.maxValue(max));

const boolFrom = v.pipe(
  v.string(),
  v.trim(),
  v.toLowerCase(),
  v.picklist(['true', 'false', '1', '0', 'yes', 'no'], 'must be true or false'),
  v.transform((s) => s === 'true' || s === '1' || s === 'yes'),
);

const EnvSchema = v.object({
  NODE_ENV: v.optional(v.picklist(['development', 'production', 'test']), 'development'),
  PORT: v.optional(intFrom(0, 65535), '8000'),
  HOST: v.optional(v.string(), '0.0.0.0'),
  DATABASE_URL: v.optional(v.pipe(v.string(), v.regex(/^postgres(ql)?:\/\//, 'must start with postgres://'))),
  DB_HOST: v.optional(v.string()),
  DB_PORT: v.optional(intFrom(1, 65535)),
  DB_NAME: v.optional(v.string()),
  DB_USER: v.optional(v.string()),
  DB_PASSWORD: v.optional(v.string()),
  DB_POOL_MAX: v.optional(intFrom(1, 200), '10'),
  REDIS_URL: v.optional(v.pipe(v.string(), v.regex(/^rediss?:\/\//, 'must start with redis://'))),
  API_PROCESSES: v.optional(intFrom(1, 256)),
  DATA_DIR: v.optional(v.string(), './data'),
  SECRET_KEY: v.optional(v.string()),
  ACCESS_TOKEN_EXPIRE_MINUTES: v.optional(intFrom(1, 60 * 24 * 30), '30'),
  REFRESH_TOKEN_EXPIRE_DAYS: v.optional(intFrom(1, 365), '30'),
  JWT_ISSUER: v.optional(v.string(), 'check-in-hub'),
  JWT_AUDIENCE: v.optional(v.string(), 'check-in-hub'),
  BCRYPT_COST: v.optional(intFrom(10, 15), '10'),
  TIMEZONE: v.optional(v.pipe(v.string(), v.check(isTimeZone, 'must be an IANA time zone such as Europe/Paris')), 'UTC'),
  CORS_ORIGINS: v.optional(v.string(), ''),
  LOG_LEVEL: v.optional(v.picklist(LOG_LEVELS), 'info'),
  ADMIN_EMAIL: v.optional(v.pipe(v.string(), v.trim(), v.toLowerCase(), v.email('must be an email address')), 'admin@example.com'),
  ADMIN_PASSWORD: v.optional(v.string()),
  SEED_DEMO: v.optional(boolFrom, 'true'),
  MIGRATE_ON_START: v.optional(boolFrom, 'true'),
  LOGIN_MAX_FAILURES: v.optional(intFrom(1, 1000), '5'),
  LOGIN_MAX_FAILURES_PER_ADDRESS: v.optional(intFrom(1, 100000), '50'),
  LOGIN_WINDOW_SECONDS: v.optional(intFrom(1, 86400), '900'),
  LOGIN_MAX_FAILURES_PER_ACCOUNT: v.optional(intFrom(1, 100000), '20'),
  LOGIN_MAX_DELAY_SECONDS: v.optional(intFrom(1, 3600), '60'),
  PIN_ATTEMPTS_PER_EMPLOYEE: v.optional(intFrom(1, 1000), '5'),
  PIN_ATTEMPTS_PER_KIOSK: v.optional(intFrom(1, 100000), '30'),
  PIN_WINDOW_SECONDS: v.optional(intFrom(1, 86400), '900'),
  TRUST_PROXY: v.optional(
    v.pipe(
      v.string(),
      v.check((s) => parseProxies(s.split(',').map((x) => x.trim()).filter(Boolean)) !== null, 'must be a comma-separated list of IP addresses or CIDRs such as 10.0.0.0/8'),
    ),
    '',
  ),
  HEAVY_REQUESTS_PER_USER: v.optional(intFrom(1, 100), '2'),
  HEAVY_REQUESTS_IN_FLIGHT: v.optional(intFrom(1, 1000)),
  MAX_BODY_BYTES: v.optional(intFrom(1024, 10 * 1024 * 1024), '65536'),
  PUNCH_MAX_AGE_HOURS: v.optional(intFrom(1, 24 * 90), '168'),
  PUNCH_MAX_SKEW_SECONDS: v.optional(intFrom(0, 3600), '120'),
  MAX_SHIFT_HOURS: v.optional(intFrom(1, 24), '16'),
  PUNCH_DEBOUNCE_SECONDS: v.optional(intFrom(0, 3600), '60'),
  PUNCH_RETENTION_MONTHS: v.optional(intFrom(0, 1200), '0'),
  REDIS_PREFIX: v.optional(v.pipe(v.string(), v.regex(/^[\w:.-]{1,50}$/, 'letters, digits, : . _ - only')), 'checkin:'),
  SOCKET_MAX_PAYLOAD_BYTES: v.optional(intFrom(1024, 64 * 1024), '16384'),
  SOCKET_REVALIDATE_SECONDS: v.optional(intFrom(1, 3600), '30'),
  SOCKET_MAX_PER_USER: v.optional(intFrom(1, 1_000_000), '20'),
  SOCKET_HANDSHAKES_PER_MINUTE: v.optional(intFrom(1, 10_000_000), '600'),
  SOCKET_EVENTS_PER_SECOND: v.optional(intFrom(1, 10000), '50'),
  SOCKET_EVENT_BURST: v.optional(intFrom(1, 100000), '200'),
  KIOSK_PUNCHES_PER_SECOND: v.optional(intFrom(1, 10000), '20'),
  KIOSK_PUNCH_BURST: v.optional(intFrom(1, 100000), '120'),
  GOOGLE_API_KEY: v.optional(v.string()),
  GEMINI_MODEL: v.optional(v.pipe(v.string(), v.regex(/^[\w.-]{1,100}$/, 'must be a model name such as gemini-2.5-flash')), 'gemini-2.5-flash'),
  LLM_BASE_URL: v.optional(v.pipe(v.string(), v.url('must be a URL such as http://localhost:11434/v1'))),
  LLM_MODEL: v.optional(v.string()),
  LLM_API_KEY: v.optional(v.string()),
  LLM_TIMEOUT_SECONDS: v.optional(intFrom(1, 600), '30'),
  ASSISTANT_QUESTIONS_PER_MINUTE: v.optional(intFrom(1, 10000), '10'),
  SUMMARY_REFRESH_MINUTES: v.optional(intFrom(1, 1440), '5'),
  SUMMARY_DEBOUNCE_MS: v.optional(intFrom(0, 600_000), '1500'),
  END_OF_DAY_TIME: v.optional(v.pipe(v.string(), v.regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24-hour)')), '23:00'),
  END_OF_DAY_CATCHUP_DAYS: v.optional(intFrom(0, 60), '7'),
  WORKER_CONCURRENCY: v.optional(intFrom(1, 64), '2'),
  WORKER_NICE: v.optional(intFrom(0, 19), '0'),
  JOB_SCHEDULES: v.optional(boolFrom, 'true'),
  WORKER_LOCK_SECONDS: v.optional(intFrom(1, 3600), '30'),
  WORKER_HEARTBEAT_SECONDS: v.optional(intFrom(1, 3600), '10'),
  CHANGE_FEED_RETENTION_DAYS: v.optional(intFrom(1, 3650), '30'),
  METRICS_TOKEN: v.optional(v.pipe(v.string(), v.minLength(16, 'must be at least 16 characters'))),
  WEBHOOK_RETRY_BASE_SECONDS: v.optional(intFrom(1, 86400), '30'),
  WEBHOOK_TIMEOUT_SECONDS: v.optional(intFrom(1, 300), '10'),
  WEBHOOK_RETRY_HOURS: v.optional(numberFrom(0.0001, 24 * 30), '24'),
  WEBHOOK_ALLOW_PRIVATE: v.optional(boolFrom, 'false'),
  WEBHOOK_MAX_BODY_BYTES: v.optional(intFrom(0, 10 * 1024 * 1024), '65536'),
  WEBHOOK_RETENTION_DAYS: v.optional(intFrom(1, 3650), '30'),
});

/** Every environment variable the hub reads (benchmarks clear them from the environment they pass on). */
export const ENV_VARIABLES = Object.keys(EnvSchema.entries);

export type LoginLimits = {
  /** Failures allowed for one account from one client address in the window. */
  maxFailures: number;
  /** Failures allowed from one client address, whatever the accounts, in the window. */
  maxFailuresPerAddress: number;
  /** Failures of one account from all addresses together before each further one costs a growing wait. */
  maxFailuresPerAccount: number;
  /** The longest wait the per-account rule imposes, in seconds. */
  maxAccountDelaySeconds: number;
  windowSeconds: number;
};

/** Kiosk PIN attempts (employee number + PIN): wrong ones allowed per employee number and per kiosk in the window. */
export type PinLimits = { attemptsPerEmployee: number; attemptsPerKiosk: number; windowSeconds: number };

export type Config = {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  /** Where PostgreSQL lives; `null` means the embedded PGlite database under `dataDir`. */
  database: { url: string } | null;
  dbPoolMax: number;
  redisUrl: string | null;
  /**
   * HTTP + Socket.IO processes `npm start` runs on the one port (node:cluster). With PostgreSQL: API_PROCESSES, or the
   * number of cores. The embedded database lives in one process, so the embedded mode is always 1.
   */
  apiProcesses: number;
  dataDir: string;
  secretKey: string;
  accessTokenMinutes: number;
  /** How long a refresh token lives unused (each use gives a new one). */
  refreshTokenDays: number;
  jwtIssuer: string;
  jwtAudience: string;
  bcryptCost: number;
  timezone: string;
  corsOrigins: string[];
  logLevel: (typeof LOG_LEVELS)[number];
  adminEmail: string;
  adminPassword: string | null;
  seedDemo: boolean;
  migrateOnStart: boolean;
  login: LoginLimits;
  pin: PinLimits;
  /** Proxies whose X-Forwarded-For is believed (addresses and CIDRs); empty: the socket's peer is the client. */
  trustProxy: string[];
  /** Exports, reports and assistant questions: at most `perUser` at once per person, `inFlight` at once in a process. */
  heavy: { perUser: number; inFlight: number };
  maxBodyBytes: number;
  /**
   * maxShiftHours: the longest a stay may run from its first arrival (a night shift's punches after midnight belong to
   * the day it started, within that); debounceSeconds: a punch this soon after the person's last one is a double scan;
   * retentionMonths: raw punches are kept this many months before the current one (UTC), then dropped a month at a
   * time (0: kept for ever).
   */
  punch: { maxAgeHours: number; maxSkewSeconds: number; maxShiftHours: number; debounceSeconds: number; retentionMonths: number };
  redisPrefix: string;
  socket: {
    maxPayloadBytes: number;
    revalidateSeconds: number;
    eventsPerSecond: number;
    eventBurst: number;
    punchesPerSecond: number;
    punchBurst: number;
    /** Open sockets per user (or kiosk); a new one closes the oldest. */
    maxPerUser: number;
    /** Socket handshakes per client address and minute. */
    handshakesPerMinute: number;
  };
  googleApiKey: string | null;
  /** Bearer token a Prometheus scraper sends to GET /metrics (admins' tokens work too). */
  metricsToken: string | null;
  llm: {
    geminiModel: string;
    baseUrl: string | null;
    model: string;
    apiKey: string | null;
    timeoutMs: number;
    questionsPerMinute: number;
  };
  jobs: {
    summaryRefreshMinutes: number;
    summaryDebounceMs: number;
    /** Local time ('HH:MM') at which a day is closed (absences, missing check-outs). */
    endOfDayTime: string;
    endOfDayCatchupDays: number;
    workerConcurrency: number;
    /** `npm run worker` runs at this niceness, or the one it was started with if higher (0: as the API processes). */
    workerNice: number;
    /** Run the recurring jobs (summaries refresh, end of day). Off only for tests that need a quiet queue. */
    schedules: boolean;
    /** How long a worker's hold on a running job lasts without renewal: a crashed worker's job moves on after it. */
    lockSeconds: number;
    /** How often a worker notes that it is alive (for the container health check). */
    heartbeatSeconds: number;
    /** Changes of the attendance change feed older than this are pruned (a cursor before them gets 410). */
    changeFeedRetentionDays: number;
  };
  webhooks: {
    /** The first retry comes this long after a failed attempt, then the wait doubles. */
    retryBaseSeconds: number;
    /** An attempt without a complete answer within this fails. */
    timeoutSeconds: number;
    /** Retries go on this long after the message was made; then the delivery fails and its endpoint is disabled. */
    retryHours: number;
    /** Let endpoints point at private, loopback and link-local addresses (tests, an internal receiver). */
    allowPrivate: boolean;
    /** At most this much of a receiver's answer is read (then dropped). */
    maxResponseBytes: number;
    /** Deliveries (never a pending one) are kept this many days, then pruned. */
    retentionDays: number;
  };
};

/** Thrown when the environment does not describe a runnable hub; names every bad variable. */
export class ConfigError extends Error {}

const MIN_SECRET_LENGTH = 32;

function databaseFrom(env: v.InferOutput<typeof EnvSchema>): Config['database'] {
  if (env.DATABASE_URL) return { url: env.DATABASE_URL };
  if (env.DB_HOST || env.DB_NAME) {
    const user = encodeURIComponent(env.DB_USER ?? 'postgres');
    const password = env.DB_PASSWORD ? `:${encodeURIComponent(env.DB_PASSWORD)}` : '';
    const host = env.DB_HOST ?? '127.0.0.1';
    const port = env.DB_PORT ?? 5432;
    return { url: `postgres://${user}${password}@${host}:${port}/${encodeURIComponent(env.DB_NAME ?? 'checkin_hub')}` };
  }
  return null;
}

/** In development the signing key is generated once and kept beside the data, so tokens survive restarts. */
function devSecret(dataDir: string): string {
  const file = join(dataDir, 'secret-key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

/**
 * Parses the environment once. Nothing else in the code reads `process.env`.
 * @example const config = loadConfig(process.env);
 */
export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  // Empty strings mean "unset", as in most .env files.
  const raw = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = v.safeParse(EnvSchema, raw);
  if (!parsed.success) {
    const lines = parsed.issues.map((issue) => `  ${v.getDotPath(issue) ?? '?'}: ${issue.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const env = parsed.output;
  const dataDir = resolve(env.DATA_DIR);
  let secretKey = env.SECRET_KEY;
  if (env.NODE_ENV === 'production') {
    if (!secretKey || secretKey.length < MIN_SECRET_LENGTH || new Set(secretKey).size < 10) {
      throw new ConfigError(
        `invalid configuration:\n  SECRET_KEY: required in production, at least ${MIN_SECRET_LENGTH} random characters (openssl rand -base64 48)`,
      );
    }
  } else if (!secretKey) {
    secretKey = devSecret(dataDir);
  }
  // Retention never drops a month a punch may still arrive for (an offline kiosk's replay, with the day before it
  // that a late punch's rebuild reads): a month counts as 28 days.
  const retentionMin = Math.ceil((env.PUNCH_MAX_AGE_HOURS + 48) / (28 * 24));
  if (env.PUNCH_RETENTION_MONTHS > 0 && env.PUNCH_RETENTION_MONTHS < retentionMin) {
    throw new ConfigError(`invalid configuration:\n  PUNCH_RETENTION_MONTHS: must be 0 (keep everything) or at least ${retentionMin}, to keep every punch PUNCH_MAX_AGE_HOURS still accepts`);
  }
  return {
    env: env.NODE_ENV,
    port: env.PORT,
    host: env.HOST,
    database: databaseFrom(env),
    dbPoolMax: env.DB_POOL_MAX,
    redisUrl: env.REDIS_URL ?? null,
    apiProcesses: databaseFrom(env) ? (env.API_PROCESSES ?? availableParallelism()) : 1,
    dataDir,
    secretKey,
    accessTokenMinutes: env.ACCESS_TOKEN_EXPIRE_MINUTES,
    refreshTokenDays: env.REFRESH_TOKEN_EXPIRE_DAYS,
    jwtIssuer: env.JWT_ISSUER,
    jwtAudience: env.JWT_AUDIENCE,
    bcryptCost: env.BCRYPT_COST,
    timezone: env.TIMEZONE,
    corsOrigins: env.CORS_ORIGINS.split(',').map((s) => s.trim()).filter(Boolean),
    logLevel: env.LOG_LEVEL,
    adminEmail: env.ADMIN_EMAIL,
    adminPassword: env.ADMIN_PASSWORD ?? null,
    seedDemo: env.SEED_DEMO,
    migrateOnStart: env.MIGRATE_ON_START,
    login: {
      maxFailures: env.LOGIN_MAX_FAILURES,
      maxFailuresPerAddress: env.LOGIN_MAX_FAILURES_PER_ADDRESS,
      windowSeconds: env.LOGIN_WINDOW_SECONDS,
      maxFailuresPerAccount: env.LOGIN_MAX_FAILURES_PER_ACCOUNT,
      maxAccountDelaySeconds: env.LOGIN_MAX_DELAY_SECONDS,
    },
    pin: { attemptsPerEmployee: env.PIN_ATTEMPTS_PER_EMPLOYEE, attemptsPerKiosk: env.PIN_ATTEMPTS_PER_KIOSK, windowSeconds: env.PIN_WINDOW_SECONDS },
    trustProxy: env.TRUST_PROXY.split(',').map((x) => x.trim()).filter(Boolean),
    // Half the connection pool at most goes to heavy reads, so ordinary requests always find a connection.
    heavy: { perUser: env.HEAVY_REQUESTS_PER_USER, inFlight: env.HEAVY_REQUESTS_IN_FLIGHT ?? Math.max(1, Math.floor(env.DB_POOL_MAX / 2)) },
    maxBodyBytes: env.MAX_BODY_BYTES,
    punch: { maxAgeHours: env.PUNCH_MAX_AGE_HOURS, maxSkewSeconds: env.PUNCH_MAX_SKEW_SECONDS, maxShiftHours: env.MAX_SHIFT_HOURS, debounceSeconds: env.PUNCH_DEBOUNCE_SECONDS, retentionMonths: env.PUNCH_RETENTION_MONTHS },
    redisPrefix: env.REDIS_PREFIX,
    socket: {
      maxPayloadBytes: env.SOCKET_MAX_PAYLOAD_BYTES,
      revalidateSeconds: env.SOCKET_REVALIDATE_SECONDS,
      eventsPerSecond: env.SOCKET_EVENTS_PER_SECOND,
      eventBurst: env.SOCKET_EVENT_BURST,
      punchesPerSecond: env.KIOSK_PUNCHES_PER_SECOND,
      punchBurst: env.KIOSK_PUNCH_BURST,
      maxPerUser: env.SOCKET_MAX_PER_USER,
      handshakesPerMinute: env.SOCKET_HANDSHAKES_PER_MINUTE,
    },
    googleApiKey: env.GOOGLE_API_KEY ?? null,
    metricsToken: env.METRICS_TOKEN ?? null,
    llm: {
      geminiModel: env.GEMINI_MODEL,
      baseUrl: env.LLM_BASE_URL ?? null,
      model: env.LLM_MODEL ?? 'llama3.1',
      apiKey: env.LLM_API_KEY ?? null,
      timeoutMs: env.LLM_TIMEOUT_SECONDS * 1000,
      questionsPerMinute: env.ASSISTANT_QUESTIONS_PER_MINUTE,
    },
    jobs: {
      summaryRefreshMinutes: env.SUMMARY_REFRESH_MINUTES,
      summaryDebounceMs: env.SUMMARY_DEBOUNCE_MS,
      endOfDayTime: env.END_OF_DAY_TIME,
      endOfDayCatchupDays: env.END_OF_DAY_CATCHUP_DAYS,
      workerConcurrency: env.WORKER_CONCURRENCY,
      workerNice: env.WORKER_NICE,
      schedules: env.JOB_SCHEDULES,
      lockSeconds: env.WORKER_LOCK_SECONDS,
      heartbeatSeconds: env.WORKER_HEARTBEAT_SECONDS,
      changeFeedRetentionDays: env.CHANGE_FEED_RETENTION_DAYS,
    },
    webhooks: {
      retryBaseSeconds: env.WEBHOOK_RETRY_BASE_SECONDS,
      timeoutSeconds: env.WEBHOOK_TIMEOUT_SECONDS,
      retryHours: env.WEBHOOK_RETRY_HOURS,
      allowPrivate: env.WEBHOOK_ALLOW_PRIVATE,
      maxResponseBytes: env.WEBHOOK_MAX_BODY_BYTES,
      retentionDays: env.WEBHOOK_RETENTION_DAYS,
    },
  };
}
