import type { Context } from 'hono';
import type { Ctx } from './context.ts';
import type { AppEnv } from './http.ts';

/** The service context of one HTTP request. */
export function ctxOf(c: Context<AppEnv>): Ctx {
  const deps = c.get('deps');
  return { em: c.get('em'), user: c.get('user'), config: deps.config, log: c.get('log'), bus: deps.bus, commits: deps.commits };
}
