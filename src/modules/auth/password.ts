import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import * as v from 'valibot';
import type { BcryptJob, BcryptReply, BcryptRequest } from './bcrypt.worker.ts';
import { COMMON_PASSWORDS } from './common-passwords.ts';

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 64;
/** bcrypt reads only the first 72 bytes; longer secrets would be silently truncated. */
const BCRYPT_MAX_BYTES = 72;

/** The password rules, as one schema used by every endpoint that sets a password. */
export const PasswordSchema = v.pipe(
  v.string('password must be a string'),
  v.minLength(PASSWORD_MIN, `password must be at least ${PASSWORD_MIN} characters`),
  v.maxLength(PASSWORD_MAX, `password must be at most ${PASSWORD_MAX} characters`),
  v.check((s) => Buffer.byteLength(s, 'utf8') <= BCRYPT_MAX_BYTES, `password must be at most ${BCRYPT_MAX_BYTES} bytes in UTF-8`),
  v.check((s) => !COMMON_PASSWORDS.has(s.toLowerCase()), 'password is too common; choose a less guessable one'),
);

/**
 * bcrypt runs in worker threads. On the main thread, bcryptjs works in slices of up to 100 ms, and the slices of
 * concurrent sign-ins run back to back: ten at once kept every other request (and socket) waiting until all were done.
 */
const POOL_SIZE = Math.max(1, Math.min(4, availableParallelism() - 1));
type Slot = { worker: Worker; waiting: Map<number, { resolve: (value: never) => void; reject: (error: Error) => void }> };
const pool: Slot[] = [];
let lastId = 0;

function slot(): Slot {
  const idle = pool.find((s) => s.waiting.size === 0);
  if (idle || pool.length >= POOL_SIZE) return idle ?? pool.reduce((a, b) => (b.waiting.size < a.waiting.size ? b : a));
  const worker = new Worker(new URL('./bcrypt.worker.ts', import.meta.url));
  worker.unref(); // an idle pool never keeps the process alive (ref'd while a job waits)
  const s: Slot = { worker, waiting: new Map() };
  worker.on('message', (reply: BcryptReply) => {
    const job = s.waiting.get(reply.id);
    s.waiting.delete(reply.id);
    if (s.waiting.size === 0) worker.unref();
    if ('error' in reply) job?.reject(new Error(reply.error));
    else job?.resolve(reply.result as never);
  });
  const fail = (error: Error) => {
    if (pool.includes(s)) pool.splice(pool.indexOf(s), 1);
    for (const job of s.waiting.values()) job.reject(error);
    s.waiting.clear();
  };
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`bcrypt worker exited (${code})`)));
  pool.push(s);
  return s;
}

function inWorker<T>(job: BcryptJob): Promise<T> {
  const s = slot();
  const id = ++lastId;
  return new Promise<T>((resolve, reject) => {
    s.waiting.set(id, { resolve: resolve as (value: never) => void, reject });
    s.worker.ref();
    s.worker.postMessage({ ...job, id } satisfies BcryptRequest);
  });
}

/** Hashes with bcrypt at the configured cost, off the main thread. */
export const hashPassword = (password: string, cost: number) => inWorker<string>({ op: 'hash', password, cost });

export const verifyPassword = (password: string, hash: string) => inWorker<boolean>({ op: 'compare', password, hash });
