import { Worker } from 'node:worker_threads';
import type { PGlite, PGliteQueryOptions, PGliteQueryResults, PGliteTransaction } from 'kysely';

/** What the hub's thread asks of the database thread (src/infra/pglite-thread.worker.ts). */
export type Request =
  | { op: 'query'; id: number; tx?: number; sql: string; params: unknown[]; rowMode?: 'array' | 'object' }
  | { op: 'exec'; id: number; tx?: number; sql: string }
  | { op: 'rollback'; id: number; tx: number }
  | { op: 'begin'; txId: number }
  | { op: 'end'; id: number; txId: number; commit: boolean }
  | { op: 'close'; id: number };
/** Its answer to request `id` (0: the database is open, or could not be opened). */
export type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: Record<string, unknown> };

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;
type Answered = WithoutId<Exclude<Request, { op: 'begin' }>>;
type Pending = { resolve(value: unknown): void; reject(error: Error): void };

/** A database error as the ORM and the error handlers read it: an Error with the fields PGlite gave it. */
const asError = (fields: Record<string, unknown>) => Object.assign(new Error(String(fields.message)), fields);

/**
 * PGlite on `dataDir`, running in a thread of its own, behind the part of PGlite's interface that Kysely's PGlite
 * dialect uses (`query`, `transaction`, `close`, plus `exec`). PGlite executes each statement synchronously in the
 * thread that calls it: in the hub's thread, a write of a few hundred milliseconds would hold every socket and
 * request for as long; here only the statement's own caller waits. The semantics are PGlite's own, run in the
 * database thread: one session, a transaction holds PGlite's lock until it ends, a statement outside it waits.
 * Values cross between the threads by structured clone: dates, bigints, byte arrays and plain objects arrive as
 * they were sent; a database error arrives as an Error with PGlite's fields (code, constraint, detail, query …).
 * The thread keeps the process alive only while a statement is in flight, as an in-process PGlite does.
 * @example const db = await openPgliteThread('./data/pg'); await db.query('select 1'); await db.close();
 */
export async function openPgliteThread(dataDir: string): Promise<PGlite & Pick<PgliteThread, 'exec' | 'threadId'>> {
  const db = new PgliteThread(dataDir);
  await db.waitReady;
  return db;
}

class PgliteThread implements PGlite {
  readonly threadId: number;
  readonly waitReady: Promise<void>;
  ready = false;
  closed = false;
  #worker: Worker;
  #pending = new Map<number, Pending>();
  #nextId = 1;
  #nextTx = 1;
  #exited: Promise<void>;
  #closing = false;

  constructor(dataDir: string) {
    this.#worker = new Worker(new URL('./pglite-thread.worker.ts', import.meta.url), { workerData: { dataDir } });
    this.threadId = this.#worker.threadId;
    this.waitReady = new Promise<void>((resolve, reject) => this.#pending.set(0, { resolve: () => resolve(), reject }));
    this.waitReady.then(() => (this.ready = true), () => undefined);
    this.#worker.on('message', (reply: Reply) => {
      const pending = this.#pending.get(reply.id);
      if (!pending) return;
      this.#pending.delete(reply.id);
      if (this.#pending.size === 0 && !this.#closing) this.#worker.unref();
      if (reply.ok) pending.resolve(reply.value);
      else pending.reject(asError(reply.error));
    });
    this.#exited = new Promise((resolve) => this.#worker.once('exit', () => resolve()));
    // A thread that dies (out of memory, a crash in the database) fails whatever waited for it, and everything after.
    const fail = (error: Error) => {
      this.closed = true;
      this.ready = false;
      for (const pending of this.#pending.values()) pending.reject(error);
      this.#pending.clear();
    };
    this.#worker.on('error', (error) => fail(Object.assign(new Error(`the embedded database thread failed: ${error.message}`), { cause: error })));
    this.#worker.on('exit', (code) => fail(new Error(`the embedded database thread stopped (exit code ${code})`)));
  }

  #call(request: Answered): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('the embedded database is closed'));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      try {
        this.#worker.postMessage({ ...request, id });
      } catch (error) {
        return reject(error as Error); // a value the structured clone cannot copy (a function, a class instance)
      }
      if (this.#pending.size === 0) this.#worker.ref();
      this.#pending.set(id, { resolve, reject });
    });
  }

  #session(tx?: number) {
    return {
      query: async <T,>(sql: string, params: unknown[] = [], options?: PGliteQueryOptions) =>
        (await this.#call({ op: 'query', tx, sql, params, rowMode: options?.rowMode })) as PGliteQueryResults<T>,
      exec: async (sql: string) => void (await this.#call({ op: 'exec', tx, sql })),
    };
  }

  query<T>(sql: string, params?: unknown[], options?: PGliteQueryOptions): Promise<PGliteQueryResults<T>> {
    return this.#session().query<T>(sql, params, options);
  }

  /** Runs several statements (no parameters) in one call, as PGlite's `exec` does. */
  exec(sql: string): Promise<void> {
    return this.#session().exec(sql);
  }

  /** Commits when `callback` resolves, rolls back when it throws; nothing else runs on the database meanwhile. */
  async transaction<T>(callback: (tx: PGliteTransaction) => Promise<T>): Promise<T> {
    const txId = this.#nextTx++;
    if (this.closed) throw new Error('the embedded database is closed');
    // Not answered: the statements that follow wait in the database thread until it is open, and carry its error.
    this.#worker.postMessage({ op: 'begin', txId } satisfies Request);
    const tx: PGliteTransaction = { ...this.#session(txId), rollback: async () => void (await this.#call({ op: 'rollback', tx: txId })) };
    let result: T;
    try {
      result = await callback(tx);
    } catch (error) {
      await this.#call({ op: 'end', txId, commit: false }).catch(() => undefined);
      throw error;
    }
    await this.#call({ op: 'end', txId, commit: true });
    return result;
  }

  /** Lets running statements finish, closes PGlite (its files are complete on disk after this) and ends the thread. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.#closing = true; // the thread keeps the process alive until it has ended
      await this.#call({ op: 'close' }).catch(() => undefined);
      this.closed = true;
    }
    await this.#exited;
  }
}
