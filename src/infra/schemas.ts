import * as v from 'valibot';
import { isIsoDate } from './time.ts';

const MAX_ID = 2_147_483_647;

/** A database id in a path or query string. */
export const IdString = (name: string) =>
  v.pipe(
    v.union([v.string(), v.number()], `${name} must be a positive integer`),
    v.transform((value) => String(value).trim()),
    v.regex(/^\d{1,10}$/, `${name} must be a positive integer`),
    v.transform(Number),
    v.minValue(1, `${name} must be a positive integer`),
    v.maxValue(MAX_ID, `${name} is too large`),
    v.description(`${name} (positive integer)`),
  );

/** A database id in a JSON body. */
export const Id = (name: string) =>
  v.pipe(v.number(`${name} must be an integer`), v.integer(`${name} must be an integer`), v.minValue(1, `${name} must be positive`), v.maxValue(MAX_ID, `${name} is too large`));

/** A whole number in a query string, within bounds. */
export const IntQuery = (name: string, min: number, max: number) =>
  v.pipe(
    v.string(),
    v.regex(/^\d+$/, `${name} must be a whole number`),
    v.transform(Number),
    v.minValue(min, `${name} must be at least ${min}`),
    v.maxValue(max, `${name} must be at most ${max}`),
  );

/** A calendar date 'YYYY-MM-DD' between 1900 and 2999. */
export const IsoDate = (name: string) =>
  v.pipe(
    v.string(`${name} must be a date (YYYY-MM-DD)`),
    v.check(isIsoDate, `${name} must be a valid date (YYYY-MM-DD)`),
    v.check((s) => s >= '1900-01-01' && s <= '2999-12-31', `${name} is out of range`),
    v.description('YYYY-MM-DD'),
  );

/** An instant with an explicit offset or Z ('2026-11-24T08:57:00+01:00'), parsed to a Date. */
export const Instant = (name: string) =>
  v.pipe(
    v.string(`${name} must be an ISO 8601 date-time`),
    v.regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i, `${name} must be an ISO 8601 date-time with an offset`),
    // Date() rolls a day that does not exist over ('2026-02-30T09:00Z' becomes 2 March): refuse it instead.
    v.check((s) => isIsoDate(s.slice(0, 10)), `${name} is not a valid date-time`),
    v.transform((s) => new Date(s)),
    v.check((d) => !Number.isNaN(d.getTime()), `${name} is not a valid date-time`),
    v.check((d) => d.getUTCFullYear() >= 1900 && d.getUTCFullYear() <= 2999, `${name} is out of range`),
  );

/** `skip` and `limit` for every list. */
export const Pagination = {
  skip: v.optional(IntQuery('skip', 0, 10_000_000), '0'),
  limit: v.optional(IntQuery('limit', 1, 1000), '100'),
};

/** A list of things that can be revoked (kiosks, API keys): live ones only, unless `include_revoked=true`. */
export const RevocableListQuery = v.object({
  ...Pagination,
  include_revoked: v.optional(v.pipe(v.picklist(['true', 'false'], 'include_revoked must be true or false'), v.transform((s) => s === 'true')), 'false'),
});

export const Email = v.pipe(
  v.string('email must be a string'),
  v.trim(),
  v.maxLength(254, 'email is too long'),
  v.email('email must be a valid email address'),
  v.toLowerCase(),
);

export const NonEmpty = (name: string, max: number) =>
  v.pipe(v.string(`${name} must be a string`), v.trim(), v.minLength(1, `${name} must not be empty`), v.maxLength(max, `${name} must be at most ${max} characters`));

/**
 * Where the first string in `value` is one PostgreSQL cannot store or that is not text at all: a NUL character (text
 * columns refuse it: the whole statement fails) or an unpaired UTF-16 surrogate (no UTF-8 form). Object keys and
 * values both count. Walks without recursion, so a deeply nested body cannot overflow the stack. Null when clean.
 * @example unsafeStringPath({ notes: 'a\u0000b' }) // ['notes']
 */
export function unsafeStringPath(value: unknown): (string | number)[] | null {
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value, path: [] }];
  while (stack.length) {
    const { value: v, path } = stack.pop()!;
    if (typeof v === 'string') {
      if (!isSafeString(v)) return path;
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], path: [...path, i] });
    } else if (v !== null && typeof v === 'object') {
      for (const [key, item] of Object.entries(v)) {
        if (!isSafeString(key)) return [...path, key];
        stack.push({ value: item, path: [...path, key] });
      }
    }
  }
  return null;
}

/** No NUL character and no unpaired surrogate. */
export const isSafeString = (s: string) => !s.includes('\u0000') && s.isWellFormed();

export const UNSAFE_STRING_MESSAGE = 'must not contain NUL characters or unpaired UTF-16 surrogates';
