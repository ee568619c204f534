import { toJsonSchema } from '@valibot/to-json-schema';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import * as v from 'valibot';
import type { ToolCallLLM } from '@llamaindex/core/llms';
import type { Config } from '../config.ts';
import type { Budgets } from './budgets.ts';
import type { Bus } from './bus.ts';
import type { Access, ApiScope, AuthUser } from './context.ts';
import type { Em, Orm } from './db.ts';
import type { GroupCommits } from './group-commit.ts';
import type { Jobs } from './jobs/types.ts';
import { AppError, validationError, type FieldError } from './errors.ts';
import { UNSAFE_STRING_MESSAGE, unsafeStringPath } from './schemas.ts';
import type { Logger } from './logger.ts';

export type { AuthUser };

/** Everything the HTTP app needs, built by the caller (main.ts or a test). */
export type AppDeps = {
  config: Config;
  orm: Orm;
  log: Logger;
  bus: Bus;
  /** Every budget (sign-in, questions, heavy requests, sockets): in Redis when REDIS_URL is set. */
  budgets: Budgets;
  /** The batchers (group commit) of this process. */
  commits: GroupCommits;
  /** Checks each dependency: `{ database: 'ok' | 'unavailable', ... }`. */
  readiness: () => Promise<Record<string, string>>;
  /** The job queue (BullMQ, or in-process in the embedded mode). */
  jobs: Jobs;
  /** Who is connected, across instances (set once the socket server is attached). */
  presence?: { onlineKiosks(): Promise<Set<number>> };
  /** The assistant's language model, when the caller supplies one (tests); else the configuration decides. */
  llm?: ToolCallLLM;
};

export type AppEnv = {
  Variables: {
    user: AuthUser | null;
    authError?: boolean;
    em: Em;
    requestId: string;
    log: Logger;
    deps: AppDeps;
    /** The client's address (TRUST_PROXY decides whether X-Forwarded-For is believed). */
    ip: string;
    /** Set while a heavy request holds its slot; a handler that streams takes it and gives it back at the end. */
    heavyRelease?: () => void;
    /** A list's sparse fieldset (`?fields=`): only these keys of each item are sent. */
    fields?: readonly string[];
  };
};

type AnySchema = v.GenericSchema;
type Out<S> = S extends AnySchema ? v.InferOutput<S> : undefined;

/** Who may call an endpoint at all; finer checks (own team, own record) live in the services. */
export type Audience = 'public' | readonly Access[];

export type EndpointSpec<P, Q, B> = {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** OpenAPI-style path: `/employees/{employee_id}`. */
  path: string;
  summary: string;
  tag: string;
  access: Audience;
  /** What finer rule applies beyond `access`, for the roles matrix. */
  scope?: string;
  /** The scope an API key needs for this endpoint; without one, keys are refused (403 `insufficient_scope`). */
  apiScope?: ApiScope;
  params?: P;
  query?: Q;
  body?: B;
  /** Accept `application/x-www-form-urlencoded` as well as JSON. */
  form?: boolean;
  /** An empty body is read as `{}` (every field of `body` is optional). */
  optionalBody?: boolean;
  /**
   * A heavy read (an export, a report, a question): it holds one of the caller's HEAVY_REQUESTS_PER_USER slots and one
   * of the process's HEAVY_REQUESTS_IN_FLIGHT while it runs; beyond either, 429 with Retry-After.
   */
  heavy?: boolean;
  response?: AnySchema;
  /** The response is a JSON array with the total in `X-Total-Count`. */
  list?: boolean;
  status?: ContentfulStatusCode | 204;
  description?: string;
  hidden?: boolean;
};

export type Input<P, Q, B> = { params: Out<P>; query: Out<Q>; body: Out<B> };

export type Endpoint = EndpointSpec<AnySchema | undefined, AnySchema | undefined, AnySchema | undefined> & {
  handler: (c: Context<AppEnv>, input: Input<unknown, unknown, unknown>) => Promise<Response>;
};

/**
 * Declares one REST endpoint: its validation, its OpenAPI entry and its handler, from the same schemas.
 * @example endpoint({ method: 'get', path: '/teams/{team_id}', ... }, (c, { params }) => c.json(...))
 */
export function endpoint<P extends AnySchema | undefined = undefined, Q extends AnySchema | undefined = undefined, B extends AnySchema | undefined = undefined>(
  spec: EndpointSpec<P, Q, B>,
  handler: (c: Context<AppEnv>, input: Input<P, Q, B>) => Promise<Response>,
): Endpoint {
  return { ...(spec as EndpointSpec<never, never, never>), handler: handler as Endpoint['handler'] };
}

/** Turns valibot issues into `{loc, msg, type}` entries under a location ('body', 'query', 'path'). */
export function toFieldErrors(where: string, issues: readonly v.BaseIssue<unknown>[]): FieldError[] {
  return issues.map((issue) => {
    const path = (issue.path ?? []).map((item) => (item as { key: string | number }).key);
    const type = issue.kind === 'schema' && issue.type !== 'object' ? `type_error.${issue.type}` : `value_error.${issue.type}`;
    return { loc: [where, ...path], msg: issue.message, type };
  });
}

/** Parses a value against a schema or throws a 422 listing every problem. Strings with a NUL or an unpaired surrogate
 * are refused first, with their field named: no schema lets them through to the database. */
export function parseOrThrow<S extends AnySchema>(schema: S, value: unknown, where: string): v.InferOutput<S> {
  const unsafe = unsafeStringPath(value);
  if (unsafe) throw validationError([{ loc: [where, ...unsafe], msg: UNSAFE_STRING_MESSAGE, type: 'value_error.str.unsafe' }]);
  const result = v.safeParse(schema, value, { abortPipeEarly: true });
  if (!result.success) throw validationError(toFieldErrors(where, result.issues));
  return result.output;
}

async function readBody(c: Context<AppEnv>, form: boolean, optional = false): Promise<unknown> {
  const type = (c.req.header('content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (form && (type === 'application/x-www-form-urlencoded' || type === 'multipart/form-data')) {
    // A malformed multipart body (no or wrong boundary, truncated) makes the parser throw: that is the client's error.
    const data = await c.req.parseBody().catch(() => {
      throw new AppError(400, 'invalid_form', 'The request body is not a valid form');
    });
    return Object.fromEntries(Object.entries(data).filter(([, value]) => typeof value === 'string'));
  }
  const text = await c.req.text();
  if (optional && text.trim() === '') return {};
  if (type && type !== 'application/json' && !type.endsWith('+json')) {
    throw new AppError(415, 'unsupported_media_type', form ? 'Send application/json or application/x-www-form-urlencoded' : 'Send application/json');
  }
  if (text.trim() === '') throw validationError([{ loc: ['body'], msg: 'A JSON body is required', type: 'value_error.missing' }]);
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError(400, 'invalid_json', 'The request body is not valid JSON');
  }
}

/** Every body is a JSON object: an array or a bare value is refused whatever the schema would make of it. */
function asObject(body: unknown) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw validationError([{ loc: ['body'], msg: 'The body must be a JSON object', type: 'type_error.object' }]);
  }
  return body;
}

const toHonoPath = (path: string) => path.replace(/\{(\w+)\}/g, ':$1').replace(/(.)\/$/, '$1');

const apiKeyText = (scope: ApiScope | undefined) => (scope ? `API keys: with the scope \`${scope}\`.` : 'API keys: not accepted.');

/** Mounts endpoints on an app: access check, validation, then the handler. */
/** The keys of a list's items, when its response schema is an object: what `?fields=` may name. */
const itemFields = (ep: Endpoint) => (ep.list && ep.response && 'entries' in ep.response ? Object.keys((ep.response as { entries: object }).entries) : null);

/** `?fields=a,b` of a list: the names, each one a field of its items (422 on `fields` otherwise); null when absent. */
function parseFields(raw: string | undefined, allowed: ReadonlySet<string>): string[] | null {
  if (raw === undefined) return null;
  const names = [...new Set(raw.split(',').map((f) => f.trim()).filter(Boolean))];
  const unknown = names.filter((f) => !allowed.has(f));
  if (names.length === 0 || unknown.length > 0) {
    throw validationError([{
      loc: ['query', 'fields'],
      msg: `${names.length === 0 ? 'fields must name at least one field' : `unknown field${unknown.length > 1 ? 's' : ''}: ${unknown.slice(0, 5).join(', ').slice(0, 200)}`}; the fields are ${[...allowed].join(', ')}`,
      type: 'value_error.fields',
    }]);
  }
  return names;
}

export function mount(app: Hono<AppEnv>, endpoints: Endpoint[]) {
  for (const ep of endpoints) {
    const fieldNames = itemFields(ep);
    const allowedFields = fieldNames ? new Set(fieldNames) : null;
    app.on(ep.method.toUpperCase(), toHonoPath(ep.path), async (c) => {
      if (ep.access !== 'public') {
        const user = c.get('user');
        if (!user && c.get('authError')) {
          throw new AppError(401, 'invalid_token', 'Could not validate credentials', { headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } });
        }
        if (!user) throw new AppError(401, 'not_authenticated', 'Not authenticated', { headers: { 'WWW-Authenticate': 'Bearer' } });
        if (user.api_key_id !== undefined) {
          // A key reaches what its scopes name, and nothing without a scope (sessions, keys, kiosks, the assistant…).
          if (!ep.apiScope || !user.scopes?.includes(ep.apiScope)) {
            throw new AppError(403, 'insufficient_scope', ep.apiScope ? `This API key lacks the scope ${ep.apiScope}` : 'API keys may not use this endpoint');
          }
        } else if (!ep.access.includes(user.access)) throw new AppError(403, 'forbidden', 'Your role may not use this endpoint');
      }
      const params = ep.params ? parseOrThrow(ep.params, c.req.param(), 'path') : undefined;
      const query = ep.query ? parseOrThrow(ep.query, c.req.query(), 'query') : undefined;
      if (allowedFields) {
        const fields = parseFields(c.req.query('fields'), allowedFields);
        if (fields) c.set('fields', fields);
      }
      const body = ep.body ? parseOrThrow(ep.body, asObject(await readBody(c, ep.form ?? false, ep.optionalBody)), 'body') : undefined;
      if (!ep.heavy) return ep.handler(c, { params, query, body } as Input<unknown, unknown, unknown>);
      c.set('heavyRelease', await holdHeavySlot(c));
      try {
        return await ep.handler(c, { params, query, body } as Input<unknown, unknown, unknown>);
      } finally {
        // Unless the handler took the slot along (a streamed response gives it back when the stream ends).
        c.get('heavyRelease')?.();
      }
    });
  }
}

/** Seconds a client refused a heavy slot is told to wait: such requests last seconds, not a budget's whole window. */
const HEAVY_RETRY_SECONDS = 5;

/** Takes a heavy-request slot of the caller and of this process; the function returned gives both back (once). */
async function holdHeavySlot(c: Context<AppEnv>): Promise<() => void> {
  const { budgets } = c.get('deps');
  const user = c.get('user')!;
  // Each API key is its own caller (every key stands for employee 0).
  const key = user.api_key_id !== undefined ? `key:${user.api_key_id}` : String(user.employee_id);
  const busy = (code: string, message: string) => new AppError(429, code, message, { headers: { 'Retry-After': String(HEAVY_RETRY_SECONDS) } });
  if (await budgets.heavyPerUser.take(key)) {
    throw busy('too_many_heavy_requests', 'You already have as many exports, reports or questions running as allowed; retry when one has finished');
  }
  if (await budgets.heavyInProcess.take('all')) {
    await budgets.heavyPerUser.give(key);
    throw busy('server_busy', 'Too many exports and reports are running right now; retry in a few seconds');
  }
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    void Promise.all([budgets.heavyPerUser.give(key), budgets.heavyInProcess.give('all')]).catch(() => undefined);
  };
}

/** Takes the heavy slot of this request along: the caller must call what is returned when its work is done. */
export function takeHeavySlot(c: Context<AppEnv>): () => void {
  const release = c.get('heavyRelease') ?? (() => undefined);
  c.set('heavyRelease', undefined);
  return release;
}

/**
 * CORS headers as hono's cors() gives them, added to the handler's response after it ran. hono's cors() sets them
 * on `c.res` before the handler: Hono then copies the handler's response into a new Response whose body is a web
 * stream, and every response (a 300 KB list too) was written chunk by chunk instead of in one write.
 * Preflights (OPTIONS) are hono's cors() unchanged.
 */
export function corsHeaders(opts: { origin: (origin: string) => string | null; allowHeaders: string[]; exposeHeaders: string[]; maxAge: number }): MiddlewareHandler {
  const preflight = cors(opts);
  const expose = opts.exposeHeaders.join(',');
  return async (c, next) => {
    if (c.req.method === 'OPTIONS') return preflight(c, next);
    await next();
    const headers = c.res.headers;
    const allowed = opts.origin(c.req.header('origin') || '');
    if (allowed) headers.set('Access-Control-Allow-Origin', allowed);
    headers.set('Access-Control-Expose-Headers', expose);
    headers.append('Vary', 'Origin');
  };
}

/**
 * Replies with a page of rows as a JSON array, and the total in `X-Total-Count`; with `?fields=`, each row carries only
 * the fields named, in the order named.
 */
export function listResponse(c: Context<AppEnv>, page: { items: unknown[]; total: number }) {
  c.header('X-Total-Count', String(page.total));
  const fields = c.get('fields');
  if (!fields) return c.json(page.items);
  return c.json(page.items.map((item) => {
    const row = item as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const f of fields) out[f] = row[f];
    return out;
  }));
}

const jsonSchema = (schema: AnySchema) => toJsonSchema(schema, { target: 'draft-2020-12', errorMode: 'ignore' }) as Record<string, unknown>;

const ERROR_SCHEMA = {
  type: 'object',
  properties: { detail: { type: 'string' }, code: { type: 'string' } },
  required: ['detail', 'code'],
};
const VALIDATION_SCHEMA = {
  type: 'object',
  properties: {
    code: { type: 'string', const: 'validation_error' },
    detail: {
      type: 'array',
      items: {
        type: 'object',
        properties: { loc: { type: 'array', items: { type: ['string', 'integer'] } }, msg: { type: 'string' }, type: { type: 'string' } },
      },
    },
  },
};

function parameters(schema: AnySchema | undefined, where: 'path' | 'query') {
  if (!schema) return [];
  const s = jsonSchema(schema) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(s.properties ?? {}).map(([name, prop]) => ({
    name,
    in: where,
    required: where === 'path' || (s.required ?? []).includes(name),
    schema: prop,
    description: (prop as { description?: string }).description,
  }));
}

/** A list's `fields` query parameter, documented with the names it takes. */
function fieldsParameter(ep: Endpoint) {
  const names = itemFields(ep);
  if (!names) return [];
  return [{
    name: 'fields',
    in: 'query',
    required: false,
    schema: { type: 'string', pattern: `^(${names.join('|')})(,(${names.join('|')}))*$` },
    example: names.slice(0, 4).join(','),
    description: `A sparse fieldset: a comma-separated list of the fields each item should carry (any of ${names.map((n) => `\`${n}\``).join(', ')}); the others are left out. An unknown name is 422.`,
  }];
}

const audienceText = (a: Audience) => (a === 'public' ? 'No token needed.' : `Roles: ${a.join(', ')}.`);

/** Builds the OpenAPI 3.1 document from the same endpoint declarations that validate requests. */
export function openApiDocument(endpoints: Endpoint[], info: { title: string; version: string; description: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const ep of endpoints) {
    if (ep.hidden) continue;
    const responses: Record<string, unknown> = {
      [String(ep.status ?? 200)]: {
        description: ep.status === 204 ? 'Done; no content' : ep.list ? 'A page of results; the total is in X-Total-Count' : 'Success',
        ...(ep.list ? { headers: { 'X-Total-Count': { schema: { type: 'integer' } } } } : {}),
        ...(ep.response
          ? { content: { 'application/json': { schema: ep.list ? { type: 'array', items: jsonSchema(ep.response) } : jsonSchema(ep.response) } } }
          : {}),
      },
      '422': { description: 'Invalid input', content: { 'application/json': { schema: VALIDATION_SCHEMA } } },
    };
    if (ep.access !== 'public') {
      responses['401'] = { description: 'Missing or invalid token', content: { 'application/json': { schema: ERROR_SCHEMA } } };
      responses['403'] = { description: 'Not allowed for this role (`forbidden`), or for this API key (`insufficient_scope`)', content: { 'application/json': { schema: ERROR_SCHEMA } } };
    }
    if (ep.params) responses['404'] = { description: 'Not found', content: { 'application/json': { schema: ERROR_SCHEMA } } };
    if (ep.heavy) {
      responses['429'] = {
        description: 'Too many heavy requests at once (HEAVY_REQUESTS_PER_USER for you, HEAVY_REQUESTS_IN_FLIGHT in all); retry after Retry-After seconds',
        headers: { 'Retry-After': { schema: { type: 'integer' } } },
        content: { 'application/json': { schema: ERROR_SCHEMA } },
      };
    }
    const bodySchema = ep.body ? jsonSchema(ep.body) : null;
    const operation: Record<string, unknown> = {
      tags: [ep.tag],
      summary: ep.summary,
      description: [ep.description, audienceText(ep.access), ep.scope, ep.access === 'public' ? null : apiKeyText(ep.apiScope)].filter(Boolean).join('\n\n'),
      operationId: `${ep.method}${ep.path.replace(/[{}]/g, '').replace(/[^a-zA-Z0-9]+(.)?/g, (_m, ch: string | undefined) => (ch ? ch.toUpperCase() : ''))}`,
      parameters: [...parameters(ep.params, 'path'), ...parameters(ep.query, 'query'), ...fieldsParameter(ep)],
      responses,
      ...(ep.access === 'public' ? { security: [] } : { security: [{ OAuth2PasswordBearer: [] }, ...(ep.apiScope ? [{ ApiKey: [ep.apiScope] }] : [])] }),
      ...(ep.apiScope ? { 'x-api-key-scope': ep.apiScope } : {}),
      ...(bodySchema
        ? {
            requestBody: {
              required: !ep.optionalBody,
              content: {
                'application/json': { schema: bodySchema },
                ...(ep.form ? { 'application/x-www-form-urlencoded': { schema: bodySchema } } : {}),
              },
            },
          }
        : {}),
    };
    (paths[ep.path] ??= {})[ep.method] = operation;
  }
  return {
    openapi: '3.1.0',
    info,
    paths,
    components: {
      securitySchemes: {
        OAuth2PasswordBearer: { type: 'oauth2', flows: { password: { tokenUrl: '/token', scopes: {} } } },
        ApiKey: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'ck_…',
          description: 'An API key from POST /api-keys/, as `Authorization: Bearer ck_…`. Each operation lists the one scope a key needs (also as `x-api-key-scope`); operations without one refuse keys (403 `insufficient_scope`).',
        },
      },
    },
    security: [{ OAuth2PasswordBearer: [] }],
  };
}
