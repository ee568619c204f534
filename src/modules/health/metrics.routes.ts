import { timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import { AppError } from '../../infra/errors.ts';
import type { AppEnv } from '../../infra/http.ts';
import { metrics, scrape } from '../../infra/metrics.ts';
import { isAdmin } from '../auth/index.ts';

const sameSecret = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** GET /metrics in the Prometheus text format, for an admin's token or the METRICS_TOKEN a scraper is given. */
export function metricsRoutes() {
  const app = new Hono<AppEnv>({ strict: false });
  app.get('/metrics', async (c) => {
    const deps = c.get('deps');
    const bearer = c.req.header('Authorization')?.replace(/^bearer\s+/i, '') ?? '';
    const scraper = deps.config.metricsToken !== null && sameSecret(bearer, deps.config.metricsToken);
    const user = c.get('user');
    if (!scraper && user && !isAdmin(user)) throw new AppError(403, 'forbidden', 'Metrics are for admins');
    if (!scraper && !user) {
      throw new AppError(401, 'not_authenticated', 'Metrics need an admin token or METRICS_TOKEN', { headers: { 'WWW-Authenticate': 'Bearer' } });
    }
    const m = metrics();
    try {
      for (const [state, n] of Object.entries(await deps.jobs.counts())) m.queueDepth.set({ state }, n);
    } catch {
      // the queue's Redis may be down: the other metrics still matter
    }
    const { body, contentType } = await scrape();
    return c.body(body, 200, { 'Content-Type': contentType });
  });
  return app;
}
