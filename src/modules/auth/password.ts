import bcrypt from 'bcryptjs';
import * as v from 'valibot';
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

/** Hashes with bcrypt at the configured cost (bcryptjs yields to the event loop while it works). */
export const hashPassword = (password: string, cost: number) => bcrypt.hash(password, cost);

export const verifyPassword = (password: string, hash: string) => bcrypt.compare(password, hash);
