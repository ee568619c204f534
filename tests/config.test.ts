import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';

const SECRET = 'a-perfectly-random-looking-secret-key-0123456789';

const tempDirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'checkin-hub-config-'));
  tempDirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** The error loadConfig throws for an environment (fails the test when it does not throw). */
function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig defaults', () => {
  it('when nothing but a secret is set, then the documented defaults apply and the database is the embedded one', () => {
    const config = loadConfig({ SECRET_KEY: SECRET, DATA_DIR: tempDir() });
    expect(config.env).toBe('development');
    expect(config.port).toBe(8000);
    expect(config.host).toBe('0.0.0.0');
    expect(config.accessTokenMinutes).toBe(30);
    expect(config.timezone).toBe('UTC');
    expect(config.database).toBeNull();
    expect(config.redisUrl).toBeNull();
    expect(config.bcryptCost).toBe(10);
    expect(config.jwtIssuer).toBe('check-in-hub');
    expect(config.jwtAudience).toBe('check-in-hub');
    expect(config.corsOrigins).toEqual([]);
    expect(config.login).toEqual({ maxFailures: 5, maxFailuresPerAddress: 50, maxFailuresPerAccount: 20, maxAccountDelaySeconds: 60, windowSeconds: 900 });
    expect(config.trustProxy).toEqual([]);
    expect(config.heavy).toEqual({ perUser: 2, inFlight: 5 });
    expect(config.socket.maxPerUser).toBe(20);
    expect(config.socket.handshakesPerMinute).toBe(600);
    expect(config.secretKey).toBe(SECRET);
  });

  it('when a variable is an empty string, then it counts as unset and takes its default', () => {
    const config = loadConfig({ SECRET_KEY: SECRET, DATA_DIR: tempDir(), PORT: '', TIMEZONE: '', DATABASE_URL: '' });
    expect(config.port).toBe(8000);
    expect(config.timezone).toBe('UTC');
    expect(config.database).toBeNull();
  });

  it('when values are given, then they are parsed into their types', () => {
    const config = loadConfig({
      SECRET_KEY: SECRET,
      DATA_DIR: tempDir(),
      PORT: '9123',
      ACCESS_TOKEN_EXPIRE_MINUTES: '45',
      TIMEZONE: 'Europe/Paris',
      CORS_ORIGINS: 'https://a.example, https://b.example,',
      SEED_DEMO: 'no',
      LOGIN_MAX_FAILURES: '3',
    });
    expect(config.port).toBe(9123);
    expect(config.accessTokenMinutes).toBe(45);
    expect(config.timezone).toBe('Europe/Paris');
    expect(config.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(config.seedDemo).toBe(false);
    expect(config.login.maxFailures).toBe(3);
  });
});

describe('loadConfig database', () => {
  it('when DATABASE_URL is set, then it is used exactly as given', () => {
    const url = 'postgresql://app:s3cr%40t@db.internal:6543/attendance?sslmode=require';
    expect(loadConfig({ SECRET_KEY: SECRET, DATABASE_URL: url }).database).toEqual({ url });
  });

  it('when DATABASE_URL and the DB_* variables are both set, then DATABASE_URL wins', () => {
    const url = 'postgres://u@h:5432/d';
    expect(loadConfig({ SECRET_KEY: SECRET, DATABASE_URL: url, DB_HOST: 'other', DB_NAME: 'other' }).database).toEqual({ url });
  });

  it('when the classic DB_* variables are set, then they are assembled into a URL with the password URL-encoded', () => {
    const config = loadConfig({
      SECRET_KEY: SECRET,
      DB_HOST: 'db.internal',
      DB_PORT: '6543',
      DB_NAME: 'attendance',
      DB_USER: 'app',
      DB_PASSWORD: 'p@ss:w/rd#1?',
    });
    expect(config.database).toEqual({ url: 'postgres://app:p%40ss%3Aw%2Frd%231%3F@db.internal:6543/attendance' });
    const parsed = new URL(config.database!.url);
    expect(decodeURIComponent(parsed.password)).toBe('p@ss:w/rd#1?');
    expect(parsed.hostname).toBe('db.internal');
    expect(parsed.port).toBe('6543');
  });

  it('when only DB_HOST is set, then user, port and database name take their defaults and there is no password', () => {
    expect(loadConfig({ SECRET_KEY: SECRET, DB_HOST: 'db.internal' }).database).toEqual({ url: 'postgres://postgres@db.internal:5432/checkin_hub' });
  });
});

describe('loadConfig refuses bad values', () => {
  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['TIMEZONE', 'Mars/Base'],
    ['DATABASE_URL', 'mysql://x'],
    ['DB_PORT', 'five'],
    ['ACCESS_TOKEN_EXPIRE_MINUTES', '0'],
    ['LOG_LEVEL', 'loud'],
    ['NODE_ENV', 'staging'],
    ['SEED_DEMO', 'maybe'],
  ])('when %s=%s, then a ConfigError names the variable', (name, value) => {
    const error = configError({ SECRET_KEY: SECRET, DATA_DIR: tempDir(), [name]: value });
    expect(error.message).toContain(`${name}:`);
  });

  it('when several variables are bad, then the error names every one of them', () => {
    const error = configError({ SECRET_KEY: SECRET, PORT: 'abc', TIMEZONE: 'Mars/Base', DATABASE_URL: 'mysql://x' });
    expect(error.message).toContain('PORT');
    expect(error.message).toContain('TIMEZONE');
    expect(error.message).toContain('DATABASE_URL');
  });

  it.each(['9', '0', '16'])('when BCRYPT_COST=%s (outside 10..15), then it is refused', (cost) => {
    expect(configError({ SECRET_KEY: SECRET, BCRYPT_COST: cost }).message).toContain('BCRYPT_COST');
  });

  it('when BCRYPT_COST is 10 or more, then it is accepted', () => {
    expect(loadConfig({ SECRET_KEY: SECRET, BCRYPT_COST: '12' }).bcryptCost).toBe(12);
  });
});

describe('loadConfig secret key', () => {
  it('when NODE_ENV=production has no SECRET_KEY, then a ConfigError names SECRET_KEY (and no key file is written)', () => {
    const dir = tempDir();
    expect(configError({ NODE_ENV: 'production', DATA_DIR: dir }).message).toContain('SECRET_KEY');
    expect(existsSync(join(dir, 'secret-key'))).toBe(false);
  });

  it.each([
    ['too short', 'short-secret-123'],
    ['long but not random', 'a'.repeat(64)],
  ])('when NODE_ENV=production has a %s SECRET_KEY, then a ConfigError names SECRET_KEY', (_what, key) => {
    expect(configError({ NODE_ENV: 'production', SECRET_KEY: key }).message).toContain('SECRET_KEY');
  });

  it('when NODE_ENV=production has a long random SECRET_KEY, then it is used', () => {
    const config = loadConfig({ NODE_ENV: 'production', SECRET_KEY: SECRET });
    expect(config.env).toBe('production');
    expect(config.secretKey).toBe(SECRET);
  });

  it('when development has no SECRET_KEY, then a key is generated into DATA_DIR/secret-key and reused by the next load', () => {
    const dir = join(tempDir(), 'nested', 'data'); // does not exist yet
    const first = loadConfig({ DATA_DIR: dir });
    const file = join(dir, 'secret-key');
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file, 'utf8').trim()).toBe(first.secretKey);
    expect(first.secretKey.length).toBeGreaterThanOrEqual(32);
    expect(statSync(file).mode & 0o077).toBe(0); // readable by the owner only
    expect(first.dataDir).toBe(dir);

    const second = loadConfig({ DATA_DIR: dir });
    expect(second.secretKey).toBe(first.secretKey);
  });

  it('when two development data directories are used, then each gets its own generated key', () => {
    const a = loadConfig({ DATA_DIR: tempDir() }).secretKey;
    const b = loadConfig({ DATA_DIR: tempDir() }).secretKey;
    expect(a).not.toBe(b);
  });

  it('when development has a SECRET_KEY, then it is used and no key file is written', () => {
    const dir = tempDir();
    expect(loadConfig({ SECRET_KEY: 'dev-secret', DATA_DIR: dir }).secretKey).toBe('dev-secret');
    expect(existsSync(join(dir, 'secret-key'))).toBe(false);
  });
});

describe('API_PROCESSES', () => {
  it('when PostgreSQL is used, then it defaults to the number of cores and takes 1 to 256; the embedded mode is always one process', () => {
    const pg = { SECRET_KEY: SECRET, DATA_DIR: tempDir(), DATABASE_URL: 'postgres://u@h/db' };
    expect(loadConfig(pg).apiProcesses).toBe(availableParallelism());
    expect(loadConfig({ ...pg, API_PROCESSES: '3' }).apiProcesses).toBe(3);
    expect(loadConfig({ SECRET_KEY: SECRET, DATA_DIR: tempDir(), API_PROCESSES: '4' }).apiProcesses).toBe(1);
    for (const bad of ['0', '257', 'two', '-1']) expect(configError({ ...pg, API_PROCESSES: bad }).message).toMatch(/API_PROCESSES/);
  });
});
