// The practical ceiling for bench/history.ts: a plain `node:http` server on plain `pg` that answers
//   GET /attendance/, GET /attendance/team/{team_id}, GET /attendance/employee/{employee_id}
// with the hub's statements (bench/history-sql.ts: the bearer token's user lookup, the team / owner check, then the
// page of rows and the count concurrently), the same JSON records (recordDto's fields and formats) and X-Total-Count.
// What it leaves out is the framework: no middleware chain (request id, secure headers, CORS, body limit, metrics,
// per-request log line), no validation library, no ORM. The bearer token is the hub's own (HS256 with SECRET_KEY,
// issuer and audience checked), verified with node:crypto.
//
// Started by bench/history.ts as a child process on the same Node binary; environment: DATABASE_URL, PORT (0 = any),
// HOST, SECRET_KEY, DB_POOL_MAX (the hub's default, 10), JWT_ISSUER / JWT_AUDIENCE (the hub's defaults).
// Logs one JSON line `{"msg":"ready on …","port":N}` on stdout once listening; SIGTERM closes it.
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import pg from 'pg';
import { recordDto, type RecordRow } from '../src/modules/attendance/index.ts';
import { readScope as policyScope } from '../src/modules/auth/index.ts';
import { ownerStatement, recordStatements, teamExistsStatement, userStatement, type Filter, type Scope, type Statement } from './history-sql.ts';

const env = process.env;
if (!env.DATABASE_URL || !env.SECRET_KEY) {
  console.error('DATABASE_URL and SECRET_KEY are required');
  process.exit(2);
}
const SECRET = Buffer.from(env.SECRET_KEY, 'utf8');
const ISSUER = env.JWT_ISSUER || 'check-in-hub';
const AUDIENCE = env.JWT_AUDIENCE || 'check-in-hub';
const POOL_MAX = Number(env.DB_POOL_MAX || 10);

// Dates stay 'YYYY-MM-DD' strings (no local-midnight Date); timestamptz become Dates, bigint counts stay strings.
const types = new pg.TypeOverrides();
types.setTypeParser(1082, (s: string) => s);
const pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: POOL_MAX, min: 0, types });
pool.on('error', (error) => console.error(JSON.stringify({ level: 50, msg: `pool error: ${error.message}` })));

const query = async <T extends pg.QueryResultRow>(s: Statement) => (await pool.query<T>(s.text, s.values)).rows;

type User = { employee_id: number; access: 'admin' | 'manager' | 'employee'; team_id: number | null; active: boolean; name: string };
class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const b64url = (buf: Buffer) => buf.toString('base64url');

/** HS256 JWT with our issuer and audience, a numeric `sub` and an unexpired `exp` (as verifyAccessToken). */
function verifyToken(token: string): number | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const [h, p, s] = parts;
  try {
    const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as { alg?: string };
    if (header.alg !== 'HS256') return null;
    const expected = Buffer.from(b64url(createHmac('sha256', SECRET).update(`${h}.${p}`).digest()));
    const given = Buffer.from(s);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as { sub?: unknown; exp?: unknown; nbf?: unknown; iss?: unknown; aud?: unknown };
    const now = Math.floor(Date.now() / 1000);
    if (typeof claims.exp !== 'number' || claims.exp <= now) return null;
    if (typeof claims.nbf === 'number' && claims.nbf > now) return null;
    if (claims.iss !== ISSUER || claims.aud !== AUDIENCE) return null;
    if (typeof claims.sub !== 'string' || !/^\d+$/.test(claims.sub)) return null;
    return Number(claims.sub);
  } catch {
    return null;
  }
}

async function authenticate(req: http.IncomingMessage): Promise<User> {
  const header = req.headers.authorization;
  const [scheme, token] = header ? header.split(' ', 2) : [];
  if (!header || scheme?.toLowerCase() !== 'bearer' || !token) throw new HttpError(401, 'not_authenticated', 'Not authenticated');
  const id = verifyToken(token.trim());
  if (id === null) throw new HttpError(401, 'invalid_token', 'Could not validate credentials');
  const [user] = await query<User>(userStatement(id));
  if (!user || !user.active) throw new HttpError(401, 'invalid_token', 'Could not validate credentials');
  return user;
}

const STATUSES = ['Present', 'Late', 'Absent', 'Remote', 'On Leave', 'Half Day'];
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function intParam(params: URLSearchParams, name: string, min: number, max: number, fallback?: number) {
  const raw = params.get(name);
  if (raw === null) return fallback;
  if (!/^\d{1,10}$/.test(raw) || Number(raw) < min || Number(raw) > max) throw new HttpError(422, 'validation_error', `${name} is invalid`);
  return Number(raw);
}

function parseFilter(params: URLSearchParams, withIds: boolean): Filter {
  const filter: Filter = { skip: intParam(params, 'skip', 0, 10_000_000, 0)!, limit: intParam(params, 'limit', 1, 1000, 100)! };
  for (const name of ['date_from', 'date_to'] as const) {
    const value = params.get(name);
    if (value === null) continue;
    if (!DATE.test(value) || Number.isNaN(Date.parse(value))) throw new HttpError(422, 'validation_error', `${name} must be a valid date (YYYY-MM-DD)`);
    filter[name] = value;
  }
  const status = params.get('status');
  if (status !== null) {
    if (!STATUSES.includes(status)) throw new HttpError(422, 'validation_error', 'status is invalid');
    filter.status = status;
  }
  if (withIds) {
    filter.employee_id = intParam(params, 'employee_id', 1, 2_147_483_647);
    filter.team_id = intParam(params, 'team_id', 1, 2_147_483_647);
  }
  return filter;
}

/** `?fields=a,b`: the record fields to send (the benchmark only asks for existing ones). */
const fieldsOf = (params: URLSearchParams) => params.get('fields')?.split(',').filter(Boolean) ?? null;

const readScope = (user: User): Scope => policyScope({ employee_id: user.employee_id, access: user.access, team_id: user.team_id, name: '' });

/** The hub's own record shape (a pure function: the JSON is the same work on both sides). */
const TIMEZONE = env.TIMEZONE || 'UTC';

async function records(res: http.ServerResponse, filter: Filter, scope: Scope, fields: string[] | null) {
  const { rows, count } = recordStatements(filter, scope);
  const [items, [total]] = await Promise.all([query<RecordRow>(rows), query<{ total: string }>(count)]);
  const dtos = items.map((r) => recordDto(r, TIMEZONE));
  const body = JSON.stringify(fields ? dtos.map((d) => Object.fromEntries(fields.map((f) => [f, d[f as keyof typeof d]]))) : dtos);
  res.writeHead(200, { 'Content-Type': 'application/json', 'X-Total-Count': String(Number(total.total)), 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
  const url = new URL(req.url ?? '/', 'http://baseline');
  const path = url.pathname.replace(/(.)\/$/, '$1');
  if (req.method !== 'GET') throw new HttpError(405, 'method_not_allowed', 'GET only');
  let m: RegExpExecArray | null;
  if (path === '/attendance') {
    const user = await authenticate(req);
    return records(res, parseFilter(url.searchParams, true), readScope(user), fieldsOf(url.searchParams));
  }
  if ((m = /^\/attendance\/team\/(\d{1,10})$/.exec(path))) {
    const user = await authenticate(req);
    const teamId = Number(m[1]);
    const filter = parseFilter(url.searchParams, false);
    if (!(await query(teamExistsStatement(teamId))).length) throw new HttpError(404, 'not_found', `Team ${teamId} not found`);
    if (user.access !== 'admin' && !(user.access === 'manager' && user.team_id === teamId)) {
      throw new HttpError(403, 'forbidden', 'Only admins and the team’s managers may read a team’s attendance');
    }
    return records(res, { ...filter, team_id: teamId, employee_id: undefined }, null, fieldsOf(url.searchParams));
  }
  if ((m = /^\/attendance\/employee\/(\d{1,10})$/.exec(path))) {
    const user = await authenticate(req);
    const employeeId = Number(m[1]);
    const filter = parseFilter(url.searchParams, false);
    const [owner] = await query<{ employee_id: number; team_id: number | null }>(ownerStatement(employeeId));
    if (!owner) throw new HttpError(404, 'not_found', `Employee ${employeeId} not found`);
    const ok =
      user.access === 'admin' || user.employee_id === owner.employee_id || (user.access === 'manager' && user.team_id !== null && user.team_id === owner.team_id);
    if (!ok) throw new HttpError(403, 'forbidden', 'You may only see employees of your own team');
    return records(res, { ...filter, employee_id: employeeId, team_id: undefined }, null, fieldsOf(url.searchParams));
  }
  throw new HttpError(404, 'not_found', 'Not found');
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((error: unknown) => {
    const status = error instanceof HttpError ? error.status : 500;
    const code = error instanceof HttpError ? error.code : 'internal_error';
    if (status === 500) console.error(JSON.stringify({ level: 50, msg: `request failed: ${(error as Error).stack ?? error}` }));
    if (res.headersSent) return void res.destroy();
    const body = JSON.stringify({ detail: (error as Error).message, code });
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  });
});

server.listen(Number(env.PORT || 0), env.HOST || '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ level: 30, msg: `ready on http://127.0.0.1:${port}`, port, pool_max: POOL_MAX })}\n`);
});

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => process.exit(1), 10_000).unref();
    server.closeIdleConnections();
    server.close(() => {
      void pool.end().finally(() => {
        clearTimeout(force);
        process.exit(0);
      });
    });
  });
}
