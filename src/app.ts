import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import { sqlOf, type Em } from './infra/db.ts';
import { AppError, isDatabaseDown, isTransientConflict } from './infra/errors.ts';
import { corsHeaders, mount, openApiDocument, type AppDeps, type AppEnv, type Endpoint } from './infra/http.ts';
import { metrics } from './infra/metrics.ts';
import { metricsRoutes } from './modules/health/metrics.routes.ts';
import { assistantEndpoints } from './modules/assistant/index.ts';
import { apiKeyEndpoints, authenticateApiKey, isApiKey } from './modules/apikeys/index.ts';
import { auditEndpoints } from './modules/audit/index.ts';
import { boardEndpoints } from './modules/boards/index.ts';
import { attendanceEndpoints } from './modules/attendance/index.ts';
import { clientAddressResolver } from './infra/client-address.ts';
import { authenticate, sessionEndpoints } from './modules/sessions/index.ts';
import { docsRoutes } from './modules/docs/docs.routes.ts';
import { pageRoutes } from './modules/pages/pages.routes.ts';
import { employeeEndpoints } from './modules/employees/index.ts';
import { healthEndpoints } from './modules/health/health.routes.ts';
import { kioskEndpoints } from './modules/kiosks/index.ts';
import { scheduleEndpoints } from './modules/schedules/index.ts';
import { summaryEndpoints } from './modules/summaries/index.ts';
import { teamEndpoints } from './modules/teams/index.ts';
import { webhookEndpoints } from './modules/webhooks/index.ts';

export type { AppDeps };

/** The address of the connection's peer (a proxy, when there is one in front). */
function peerOf(c: Context<AppEnv>): string | undefined {
  return (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress;
}

/** Every REST endpoint, in the order the documentation shows them. */
export const endpoints: Endpoint[] = [
  ...sessionEndpoints,
  ...employeeEndpoints,
  ...teamEndpoints,
  ...scheduleEndpoints,
  ...attendanceEndpoints,
  ...boardEndpoints,
  ...kioskEndpoints,
  ...summaryEndpoints,
  ...assistantEndpoints,
  ...apiKeyEndpoints,
  ...webhookEndpoints,
  ...auditEndpoints,
  ...healthEndpoints,
];

const PUBLIC_INFO = {
  title: 'Check-in Hub API',
  version: '0.1.0',
  description:
    'Realtime attendance: employees, teams, attendance records and punches. Sign in with POST /token ' +
    '(OAuth2 password flow) and send `Authorization: Bearer <token>`. Errors are `{"detail", "code"}`; ' +
    'validation errors are 422 with `detail` as a list of `{loc, msg, type}`. Lists take `skip` and `limit` ' +
    '(default 100, max 1000) and return the total in `X-Total-Count`.',
};

/**
 * Builds the HTTP application: middleware, every module's endpoints, docs and one error handler.
 * @example const app = createApp(deps); serve({ fetch: app.fetch, port: 8000 });
 */
export function createApp(deps: AppDeps) {
  const app = new Hono<AppEnv>({ strict: false });
  let document: object | null = null;
  const clientAddress = clientAddressResolver(deps.config.trustProxy);

  app.use(requestId({ headerName: 'X-Request-Id' }));
  app.use(async (c, next) => {
    const started = performance.now();
    c.set('deps', deps);
    c.set('ip', clientAddress(peerOf(c), c.req.header('x-forwarded-for')));
    c.set('log', deps.log.child({ request_id: c.get('requestId') }));
    c.set('em', deps.orm.em.fork() as Em);
    c.set('user', null);
    await next();
    const user = c.get('user');
    metrics().httpDuration.observe({ method: c.req.method, route: c.req.routePath, status: String(c.res.status) }, (performance.now() - started) / 1000);
    c.get('log').info(
      { method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(performance.now() - started), user: user?.employee_id, ip: c.get('ip') },
      'request',
    );
  });
  app.use(
    secureHeaders({
      // Swagger UI needs inline styles; scripts all come from this origin.
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
      },
      crossOriginEmbedderPolicy: false,
    }),
  );
  app.use(
    corsHeaders({
      origin: (origin) => (deps.config.corsOrigins.includes('*') ? origin : deps.config.corsOrigins.includes(origin) ? origin : null),
      allowHeaders: ['Authorization', 'Content-Type', 'X-Request-Id'],
      exposeHeaders: ['X-Total-Count', 'X-Request-Id', 'Retry-After'],
      maxAge: 600,
    }),
  );
  const limitBody = bodyLimit({
    maxSize: deps.config.maxBodyBytes,
    onError: (c) => c.json({ detail: `Request body larger than ${deps.config.maxBodyBytes} bytes`, code: 'payload_too_large' }, 413),
  });
  // GET and HEAD carry no body; asking (c.req.raw.body) would build a whole web Request out of Node's on every read.
  app.use((c, next) => (c.req.method === 'GET' || c.req.method === 'HEAD' ? next() : limitBody(c, next)));
  app.use(async (c, next) => {
    const header = c.req.header('Authorization');
    if (header) {
      const [scheme, token] = header.split(' ', 2);
      const bearer = scheme?.toLowerCase() === 'bearer' && token ? token.trim() : null;
      // A bad token only matters where a token is needed: mount() answers 401 there.
      if (bearer && isApiKey(bearer)) {
        const key = await authenticateApiKey(sqlOf(c.get('em')), bearer, c.get('ip') ?? null);
        if (key) c.set('user', key);
        else c.set('authError', true);
      } else {
        const user = bearer ? await authenticate(c.get('em'), deps.config, bearer) : null;
        if (user) c.set('user', { employee_id: user.employee_id, access: user.access, team_id: user.team_id, name: user.name });
        else c.set('authError', true);
      }
    }
    await next();
  });

  mount(app, endpoints);
  app.route('/', docsRoutes(() => (document ??= openApiDocument(endpoints, PUBLIC_INFO))));
  app.route('/', pageRoutes());
  app.route('/', metricsRoutes());

  app.notFound((c) => c.json({ detail: 'Not found', code: 'not_found' }, 404));
  app.onError((error, c) => {
    if (error instanceof AppError) {
      for (const [name, value] of Object.entries(error.headers ?? {})) c.header(name, value);
      return c.json({ detail: error.fields ?? error.message, code: error.code }, error.status);
    }
    if (error instanceof HTTPException) {
      return c.json({ detail: error.message || 'Bad request', code: 'bad_request' }, error.status);
    }
    const log = c.get('log') ?? deps.log;
    if (isTransientConflict(error)) {
      c.header('Retry-After', '1');
      return c.json({ detail: 'The change met a concurrent one; send it again', code: 'busy' }, 503);
    }
    if (isDatabaseDown(error)) {
      log.error({ err: error }, 'database unavailable');
      c.header('Retry-After', '5');
      return c.json({ detail: 'The database is not reachable right now; try again shortly', code: 'database_unavailable' }, 503);
    }
    log.error({ err: error, path: c.req.path }, 'unhandled error');
    return c.json({ detail: 'Internal server error', code: 'internal_error', request_id: c.get('requestId') }, 500);
  });
  return app;
}
