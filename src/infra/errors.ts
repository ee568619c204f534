import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** One validation problem, shaped like FastAPI's so existing clients read it unchanged. */
export type FieldError = { loc: (string | number)[]; msg: string; type: string };

/**
 * The one error type services throw. REST turns it into `{ detail, code }` with `status`;
 * sockets turn it into `{ ok: false, error: { code, message } }`.
 * @example throw new AppError(404, 'not_found', 'Employee 12 not found');
 */
export class AppError extends Error {
  readonly status: ContentfulStatusCode;
  readonly code: string;
  readonly fields: FieldError[] | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(
    status: ContentfulStatusCode,
    code: string,
    message: string,
    extra: { fields?: FieldError[]; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'AppError';
    this.status = status;
    this.code = code;
    this.fields = extra.fields;
    this.headers = extra.headers;
  }
}

export const notFound = (what: string, id: number | string) => new AppError(404, 'not_found', `${what} ${id} not found`);
export const forbidden = (message = 'You do not have access to this resource') => new AppError(403, 'forbidden', message);
export const conflict = (code: string, message: string) => new AppError(409, code, message);
export const validationError = (fields: FieldError[]) =>
  new AppError(422, 'validation_error', fields.map((f) => `${f.loc.join('.')}: ${f.msg}`).join('; '), { fields });

/** PostgreSQL unique-violation (23505) raised through the ORM or raw SQL. */
export function uniqueViolation(error: unknown): string | null {
  const e = error as { code?: string; constraint?: string; cause?: { code?: string; constraint?: string } } | null;
  const inner = e?.code === '23505' ? e : e?.cause?.code === '23505' ? e.cause : null;
  if (!inner) return null;
  return inner.constraint ?? (error instanceof Error ? error.message : 'unique');
}

/** Errors from the database driver that mean "not reachable right now" rather than a bug. */
export function isDatabaseDown(error: unknown): boolean {
  const e = error as { code?: string; message?: string; cause?: { code?: string; message?: string } } | null;
  const text = `${e?.code ?? ''} ${e?.message ?? ''} ${e?.cause?.code ?? ''} ${e?.cause?.message ?? ''}`;
  return /ECONNREFUSED|ECONNRESET|ETIMEDOUT|57P01|57P02|57P03|53300|Connection terminated|timeout exceeded when trying to connect|the database system is (shutting down|starting up)/i.test(text);
}

/** The database's SQLSTATE of an error raised through the ORM or a driver (or ''). */
export const sqlState = (error: unknown) =>
  String((error as { code?: unknown })?.code ?? (error as { cause?: { code?: unknown } })?.cause?.code ?? '');

/** A deadlock (40P01) or a serialization failure (40001): the transaction lost a race and may simply run again. */
export const isTransientConflict = (error: unknown) => ['40P01', '40001'].includes(sqlState(error));

/**
 * Runs a transaction again when it lost a race with another one (a deadlock with a batch of punches, say), up to
 * `attempts` times; any other error is thrown at once.
 * @example await retryOnConflict(() => em.transactional(…));
 */
export async function retryOnConflict<T>(run: () => Promise<T>, attempts = 4): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (attempt >= attempts || !isTransientConflict(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10 * attempt + Math.random() * 20));
    }
  }
}
