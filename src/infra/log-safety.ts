/**
 * What of an error may reach a log line. Database errors carry the values of the statement that failed: MikroORM
 * puts the row into the message ("- detail: Failing row contains (…, $2b$10$…, …)") and, on PGlite, the whole
 * statement with every value inlined into `query`. A log line gets the error's type, code and the statement's
 * shape instead: string and number literals become `?`, and quoted values in messages become "?".
 */

/** A statement with its literals replaced: `values ('a@b.c', 42)` → `values (?, ?)`. */
export function statementShape(sql: string): string {
  return sql
    .replace(/'(?:[^']|'')*'/g, '?')
    .replace(/\$\w*\$[\s\S]*?\$\w*\$/g, '?')
    .replace(/(?<![\w$.])-?\d+(?:\.\d+)?(?:e[+-]?\d+)?(?![\w.])/gi, '?')
    .slice(0, 2000);
}

type Loose = Record<string, unknown> & { message?: unknown; stack?: unknown; name?: unknown };

/** Database error fields that name things (safe), never values. */
const NAMES = ['code', 'sqlState', 'severity', 'constraint', 'table', 'column', 'schema', 'routine', 'dataType'] as const;

const isDatabaseError = (e: Loose) => typeof e.sqlState === 'string' || (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) && 'severity' in e);

/** A message without the values a database put into it (quoted values, the row after "detail:"). */
function safeMessage(message: string, e: Loose): string {
  let text = message.split(/\n\s*-\s*(?:detail|hint|where):/i)[0];
  if (isDatabaseError(e)) {
    const names = new Set(NAMES.map((k) => e[k]).filter((v): v is string => typeof v === 'string'));
    text = text.replace(/"([^"]*)"/g, (whole, inner: string) => (names.has(inner) ? whole : '"?"'));
  }
  return text.trim().slice(0, 1000);
}

/**
 * The pino serializer for `err`: type, a value-free message and stack, the error's code and the names of what the
 * database refused, the statement's shape, and the same for `cause`. Plain objects with a `message` are handled too.
 * @example pino({ serializers: { err: serializeError } })
 */
export function serializeError(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return typeof value === 'string' ? safeMessage(value, {}) : value;
  const e = value as Loose;
  const out: Record<string, unknown> = {};
  if (typeof e.name === 'string' || value instanceof Error) out.type = typeof e.name === 'string' ? e.name : value.constructor?.name;
  const message = typeof e.message === 'string' ? safeMessage(e.message, e) : undefined;
  if (message !== undefined) out.message = message;
  if (typeof e.stack === 'string') {
    // The stack's first lines repeat the message (with the values): only the frames are kept.
    const frames = e.stack.split('\n').filter((line) => /^\s+at /.test(line)).slice(0, 30);
    out.stack = [`${out.type ?? 'Error'}: ${message ?? ''}`, ...frames].join('\n');
  }
  for (const key of NAMES) if (typeof e[key] === 'string' || typeof e[key] === 'number') out[key] = e[key];
  for (const key of ['query', 'sql']) if (typeof e[key] === 'string') out.statement = statementShape(e[key] as string);
  if (typeof e.status === 'number') out.status = e.status;
  if (e.cause !== undefined && depth < 3) out.cause = serializeError(e.cause, depth + 1);
  return out;
}
