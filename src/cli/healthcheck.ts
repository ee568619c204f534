// `node src/cli/healthcheck.ts api|worker`: the container health check (docker-compose.yml). Exit 0 when healthy.
//   api     GET /readyz on this container's PORT answers 200 (the database, and Redis when configured, are reachable)
//   worker  the worker process has written its heartbeat within the last WORKER_HEARTBEAT_SECONDS × 3
import { statSync } from 'node:fs';
import { ConfigError, loadConfig } from '../config.ts';
import { HEARTBEAT_FILE } from '../worker.ts';

const what = process.argv[2];
try {
  const config = loadConfig();
  if (what === 'api') {
    const res = await fetch(`http://127.0.0.1:${config.port}/readyz`, { signal: AbortSignal.timeout(4_000) });
    console.log(`readyz ${res.status}: ${await res.text()}`);
    process.exit(res.ok ? 0 : 1);
  } else if (what === 'worker') {
    const age = (Date.now() - statSync(HEARTBEAT_FILE).mtimeMs) / 1000;
    console.log(`worker heartbeat ${age.toFixed(1)} s ago`);
    process.exit(age <= config.jobs.heartbeatSeconds * 3 ? 0 : 1);
  } else {
    console.error('usage: node src/cli/healthcheck.ts api|worker');
    process.exit(2);
  }
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : `unhealthy: ${(error as Error).message}`);
  process.exit(1);
}
