// Deployment as users run it: every variable documented, .env read by the npm scripts, health checks that answer,
// a production start without ADMIN_PASSWORD that still leaves a way in, and a compose file whose services agree.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ENV_VARIABLES } from '../src/config.ts';
import { HEARTBEAT_FILE } from '../src/worker.ts';
import { spawnHub, spawnWorker, type HubChild as HubProcess, type WorkerChild as WorkerProcess } from '../harness/index.ts';
import { createSoloDatabase, uid } from './utils.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
const children: (HubProcess | WorkerProcess)[] = [];
const cleanups: (() => Promise<unknown> | void)[] = [];

afterAll(async () => {
  await Promise.all(children.map((c) => c.stop()));
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** Runs the health check CLI as the container would, with `env`; resolves with its exit code. */
function healthcheck(what: string, env: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['src/cli/healthcheck.ts', what], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 }, (error) =>
      resolve(error ? Number((error as { code?: number }).code ?? 1) : 0),
    );
  });
}

describe('configuration is documented', () => {
  it('when the hub’s variables are listed, then .env.example and the README’s table name each one', () => {
    const example = read('.env.example');
    const readme = read('README.md');
    expect(ENV_VARIABLES.filter((name) => !new RegExp(`^# ?${name}=`, 'm').test(example))).toEqual([]);
    expect(ENV_VARIABLES.filter((name) => !readme.includes(`\`${name}\``))).toEqual([]);
  });

  it('when an npm script starts a hub, a worker, a migration, a seed or the load runner, then it reads .env when there is one', () => {
    const scripts = JSON.parse(read('package.json')).scripts as Record<string, string>;
    for (const name of ['start', 'dev', 'worker', 'db:migrate', 'db:seed', 'load', 'healthcheck']) {
      expect(scripts[name], name).toMatch(/^node --env-file-if-exists=\.env /);
    }
  });
});

describe('docker-compose.yml', () => {
  const compose = read('docker-compose.yml');
  const service = (name: string) => {
    const start = compose.indexOf(`\n  ${name}:\n`);
    const next = compose.slice(start + 1).search(/\n {2}\w[\w-]*:\n|\nvolumes:/);
    return compose.slice(start, start + 1 + next);
  };

  it('when the API and the worker are read, then both take the same environment (with SECRET_KEY), restart, and have a health check', () => {
    expect(compose).toMatch(/x-hub-environment: &hub-environment\n(?: {2}.*\n)*? {2}SECRET_KEY: /);
    for (const name of ['api', 'worker']) {
      const block = service(name);
      expect(block, name).toContain('environment: *hub-environment');
      expect(block, name).toContain('restart: unless-stopped');
      expect(block, name).toContain(`["CMD", "node", "src/cli/healthcheck.ts", "${name}"]`);
      expect(block, name).toContain('hubdata:/app/data');
    }
  });
});

describe('health checks and a production first start', () => {
  it('when a production hub starts on an empty database without ADMIN_PASSWORD, then a password file is written, the admin signs in with it, and the API health check passes', async () => {
    const db = await createSoloDatabase('deploy');
    cleanups.push(() => db.drop());
    const dataDir = mkdtempSync(join(tmpdir(), 'checkin-deploy-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const env = { NODE_ENV: 'production', SECRET_KEY: `deploy-${uid()}-Q8v3mZk1pX7rL2nW9sT4yB6cD0fG5hJ`, DATABASE_URL: db.url, DATA_DIR: dataDir, ADMIN_EMAIL: 'root@example.com' };
    const hub = await spawnHub(env);
    children.push(hub);
    const password = readFileSync(join(dataDir, 'admin-password'), 'utf8').trim();
    expect(password.length).toBeGreaterThanOrEqual(12);
    const res = await fetch(`${hub.url}/token`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'root@example.com', password }) });
    expect(res.status).toBe(200);
    expect(await healthcheck('api', { ...env, PORT: String(hub.port) })).toBe(0);
    await hub.stop();
    expect(await healthcheck('api', { ...env, PORT: String(hub.port) })).toBe(1);
  }, 90_000);

  it('when a worker runs, then its health check passes; when its heartbeat is stale, then it fails', async () => {
    const db = await createSoloDatabase('worker');
    cleanups.push(() => db.drop());
    // Its own temporary directory, so no other worker on the machine touches the same heartbeat.
    const tmp = mkdtempSync(join(tmpdir(), 'checkin-heartbeat-'));
    cleanups.push(() => rmSync(tmp, { recursive: true, force: true }));
    const env = {
      DATABASE_URL: db.url, REDIS_URL: 'redis://127.0.0.1:6379', REDIS_PREFIX: `test:${uid()}:`, SECRET_KEY: 'x'.repeat(40), DATA_DIR: '/tmp/checkin-hub-test',
      JOB_SCHEDULES: 'false', WORKER_HEARTBEAT_SECONDS: '1', TMPDIR: tmp,
    };
    const worker = await spawnWorker(env);
    children.push(worker);
    expect(await healthcheck('worker', env)).toBe(0);
    await worker.stop();
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(tmp, basename(HEARTBEAT_FILE)), old, old);
    expect(await healthcheck('worker', env)).toBe(1);
  }, 90_000);
});
