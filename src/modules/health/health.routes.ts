import * as v from 'valibot';
import { processIndex } from '../../infra/cluster.ts';
import { endpoint } from '../../infra/http.ts';

const Health = v.object({
  status: v.string(),
  process: v.optional(v.pipe(v.number(), v.description('Which of the API processes (API_PROCESSES) answered, from 0; absent with one process.'))),
});
const Ready = v.object({ status: v.string(), checks: v.record(v.string(), v.string()) });

export const healthEndpoints = [
  endpoint(
    { method: 'get', path: '/healthz', tag: 'Health', summary: 'The process is up', access: 'public', response: Health },
    async (c) => {
      const index = processIndex();
      return c.json(index === null ? { status: 'ok' } : { status: 'ok', process: index });
    },
  ),
  endpoint(
    {
      method: 'get', path: '/readyz', tag: 'Health', summary: 'Dependencies are reachable', access: 'public', response: Ready,
      description: '200 when the database (and Redis, when configured) answer; 503 otherwise.',
    },
    async (c) => {
      const deps = c.get('deps');
      const checks = await deps.readiness();
      const ready = Object.values(checks).every((s) => s === 'ok');
      return c.json({ status: ready ? 'ready' : 'not_ready', checks }, ready ? 200 : 503);
    },
  ),
];
