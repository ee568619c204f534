// node bench/cluster.ts <server script>: runs PROCESSES (default: the cores) copies of a baseline server on one port
// through node:cluster, the way `API_PROCESSES` runs the hub, so that a baseline and the hub are compared with the
// same number of processes. Each copy listens on the same PORT (0: one port the primary picks for all); their output
// passes through, except their ready lines: one `{"msg":"ready on …","port":N}` line is printed once all are ready.
// SIGTERM / SIGINT reach every copy; the primary exits once they have.
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

const script = process.argv[2];
if (!script) {
  console.error('usage: node bench/cluster.ts <server script>');
  process.exit(2);
}
const count = Number(process.env.PROCESSES || availableParallelism());
cluster.setupPrimary({ exec: resolve(script), silent: true });
const ports: number[] = [];
for (let i = 0; i < count; i++) {
  const worker = cluster.fork();
  createInterface({ input: worker.process.stderr! }).on('line', (line) => process.stderr.write(`${line}\n`));
  createInterface({ input: worker.process.stdout! }).on('line', (line) => {
    const ready = /"msg":"ready on [^"]*","port":(\d+)/.exec(line);
    if (!ready) return void process.stdout.write(`${line}\n`);
    ports.push(Number(ready[1]));
    if (ports.length === count) {
      process.stdout.write(`${JSON.stringify({ level: 30, msg: `ready on http://127.0.0.1:${ports[0]}`, port: ports[0], processes: count })}\n`);
    }
  });
  worker.on('exit', (code, signal) => {
    if (!stopping) process.stderr.write(`${JSON.stringify({ level: 50, msg: `a copy of ${script} exited with ${code ?? signal}` })}\n`);
  });
}
let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    cluster.on('exit', () => Object.keys(cluster.workers ?? {}).length === 0 && process.exit(0));
    setTimeout(() => process.exit(1), 15_000).unref();
  });
}
