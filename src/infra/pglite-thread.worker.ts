// The embedded database's thread: one PGlite on DATA_DIR/pg, driven by messages from src/infra/pglite-thread.ts.
// PGlite runs PostgreSQL compiled to WebAssembly in the thread that calls it, synchronously while a statement runs:
// here that is this thread, so the hub's event loop (sockets, HTTP) keeps turning while the database works.
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite, types, type Transaction } from '@electric-sql/pglite';
import type { Reply, Request } from './pglite-thread.ts';

const port = parentPort!;
const { dataDir } = workerData as { dataDir: string };

// The parsers MikroORM's own PGlite connection installs: dates, timestamps and intervals (and arrays of them) stay
// the strings PostgreSQL sent, which the ORM's types then read, as on PostgreSQL.
const asText = (text: string) => text;
const parsers: Record<number, (text: string, typeId?: number) => unknown> = {};
for (const oid of [1082, 1114, 1184, 1186]) parsers[oid] = asText;
for (const oid of [1182, 1115, 1185, 1187]) parsers[oid] = (text, typeId) => types.arrayParser(text, asText, typeId ?? oid);

const reply = (message: Reply) => port.postMessage(message);
/** A database error keeps the fields callers read (code, constraint, detail …): an Error sent as is loses them. */
function plainError(error: unknown): Record<string, unknown> {
  if (typeof error !== 'object' || error === null) return { message: String(error) };
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(error)) if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) fields[key] = value;
  // Not every failure is an Error: the file system of PGlite's runtime throws objects with an errno.
  const { name, message } = error as { name?: unknown; message?: unknown };
  fields.name = typeof name === 'string' ? name : 'Error';
  fields.message = typeof message === 'string' ? message : `${fields.name}${'errno' in fields ? ` (errno ${fields.errno})` : ''}`;
  return fields;
}

const ROLLBACK = Symbol('rollback');
/**
 * Transactions by id, from `begin` to `end`: PGlite's own `transaction()` holds its lock until `end` decides. The
 * caller does not wait for `begin`: its statements arrive behind it and wait here (`ready`) until the transaction is
 * open, so a transaction costs one round trip between the threads less.
 */
type Open = { ready: Promise<Transaction>; decide(commit: boolean): void; settled: Promise<void> };
const open = new Map<number, Open>();
/** Everything still running, for a close that waits for it. */
const running = new Set<Promise<unknown>>();
let closing = false;

const db = await PGlite.create({ dataDir, parsers }).catch((error: unknown) => {
  reply({ id: 0, ok: false, error: plainError(error) });
  return null;
});

/** Opens transaction `txId` once PGlite's lock is free; a BEGIN that fails fails its statements and its `end`. */
function begin(db: PGlite, txId: number): Promise<void> {
  let opened!: (tx: Transaction) => void;
  let refused!: (error: unknown) => void;
  const ready = new Promise<Transaction>((resolve, reject) => ((opened = resolve), (refused = reject)));
  ready.catch(() => undefined); // reported to the statements that wait for it
  let decide!: (commit: boolean) => void;
  const decided = new Promise<boolean>((resolve) => (decide = resolve));
  const settled: Promise<void> = db
    .transaction(async (tx) => {
      if (closing) throw new Error('the database is closing');
      opened(tx);
      if (!(await decided)) throw ROLLBACK;
    })
    .then(
      () => undefined,
      (error: unknown) => {
        refused(error);
        if (error !== ROLLBACK) throw error;
      },
    )
    .finally(() => open.delete(txId));
  open.set(txId, { ready, decide, settled });
  return settled;
}

async function run(db: PGlite, request: Exclude<Request, { op: 'begin' | 'end' | 'close' }>): Promise<unknown> {
  if (closing) throw new Error('the database is closing');
  const tx = request.tx === undefined ? undefined : open.get(request.tx);
  if (request.tx !== undefined && !tx) throw new Error('the transaction is not open');
  const on = tx ? await tx.ready : db;
  if (request.op === 'query') {
    const { rows, affectedRows, fields } = await on.query(request.sql, request.params, { rowMode: request.rowMode });
    return { rows, affectedRows, fields };
  }
  if (request.op === 'exec') await on.exec(request.sql);
  else await (on as Transaction).rollback();
  return null;
}

async function handle(db: PGlite, request: Request): Promise<void> {
  if (request.op === 'begin') return begin(db, request.txId);
  if (request.op === 'end') {
    const tx = open.get(request.txId);
    // Gone only when a close rolled it back: a commit must not be reported as done.
    if (!tx) return reply(request.commit ? { id: request.id, ok: false, error: { message: 'the transaction was rolled back: the database closed' } } : { id: request.id, ok: true, value: null });
    tx.decide(request.commit);
    return tx.settled.then(
      () => reply({ id: request.id, ok: true, value: null }),
      (error: unknown) => reply({ id: request.id, ok: false, error: plainError(error) }),
    );
  }
  if (request.op === 'close') {
    // Open transactions roll back, running statements finish, then PGlite writes everything out and stops.
    closing = true;
    for (const tx of open.values()) tx.decide(false);
    await Promise.allSettled([...running]);
    await db.close().catch(() => undefined);
    reply({ id: request.id, ok: true, value: null });
    port.close();
    return;
  }
  try {
    reply({ id: request.id, ok: true, value: await run(db, request) });
  } catch (error) {
    reply({ id: request.id, ok: false, error: plainError(error) });
  }
}

if (db) {
  port.on('message', (request: Request) => {
    const task = handle(db, request).catch(() => undefined);
    running.add(task);
    void task.finally(() => running.delete(task));
  });
  reply({ id: 0, ok: true, value: null });
} else {
  port.close();
}
