/**
 * Local calendar arithmetic in the organisation's time zone, with nothing but Intl.
 * Dates are 'YYYY-MM-DD' strings; instants are Date objects.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

/** True when the runtime knows the IANA zone (`Europe/Paris`, `UTC`). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(tz, f);
  }
  return f;
}

type MinuteParts = { date: string; hour: string; minute: string };
const minuteCache = new Map<string, MinuteParts>();

function formatParts(at: Date, tz: string) {
  const parts: Record<string, string> = {};
  for (const part of formatter(tz).formatToParts(at)) parts[part.type] = part.value;
  return parts;
}

/**
 * Wall-clock parts of an instant in a zone. formatToParts costs microseconds and every punch needs it twice, so the
 * parts of each UTC minute are kept (zones change offset on whole minutes; a historical offset with seconds in it is
 * simply not cached).
 */
export function localParts(at: Date, tz: string) {
  const ms = at.getTime();
  const minuteStart = Math.floor(ms / 60_000) * 60_000;
  const key = `${tz}|${minuteStart}`;
  let m = minuteCache.get(key);
  let second: number;
  if (m) {
    second = Math.floor((ms - minuteStart) / 1000);
  } else {
    const parts = formatParts(new Date(minuteStart), tz);
    m = { date: `${parts.year}-${parts.month}-${parts.day}`, hour: parts.hour, minute: parts.minute };
    if (parts.second === '00' && Number.isFinite(minuteStart)) {
      if (minuteCache.size >= 10_000) minuteCache.clear();
      minuteCache.set(key, m);
      second = Math.floor((ms - minuteStart) / 1000);
    } else {
      const exact = formatParts(at, tz);
      m = { date: `${exact.year}-${exact.month}-${exact.day}`, hour: exact.hour, minute: exact.minute };
      second = Number(exact.second);
    }
  }
  return {
    date: m.date,
    minutes: Number(m.hour) * 60 + Number(m.minute),
    seconds: Number(m.hour) * 3600 + Number(m.minute) * 60 + second,
    hhmm: `${m.hour}:${m.minute}`,
  };
}

/** The local date ('YYYY-MM-DD') of an instant in a zone. */
export const localDate = (at: Date, tz: string) => localParts(at, tz).date;

/**
 * A pure function of a string key, remembered: the calendar arithmetic below runs for every punch (its day, the day
 * before, the week, the shift's instants), and parsing dates costs more than a map lookup. At most 10,000 entries.
 */
function remembered<T>(compute: (key: string) => T): (key: string) => T {
  const cache = new Map<string, T>();
  return (key) => {
    let value = cache.get(key);
    if (value === undefined) {
      value = compute(key);
      if (cache.size >= 10_000) cache.clear();
      cache.set(key, value);
    }
    return value;
  };
}

const weekdayOf = remembered((date) => {
  const day = new Date(`${date}T00:00:00Z`).getUTCDay();
  return day === 0 ? 7 : day;
});

/** ISO weekday (1 = Monday … 7 = Sunday) of a 'YYYY-MM-DD' date. */
export const isoWeekday = (date: string): number => weekdayOf(date);

const shifted = remembered((key) => {
  const [date, days] = key.split('|');
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + Number(days));
  return d.toISOString().slice(0, 10);
});

/** Adds whole days to a 'YYYY-MM-DD' date. */
export const addDays = (date: string, days: number): string => shifted(`${date}|${days}`);

const yesterdays = new Map<string, string>();
/** The day before a 'YYYY-MM-DD' date (remembered: every punch asks for it). */
export function dayBefore(date: string): string {
  let d = yesterdays.get(date);
  if (d === undefined) {
    if (yesterdays.size >= 10_000) yesterdays.clear();
    yesterdays.set(date, (d = addDays(date, -1)));
  }
  return d;
}

/** Minutes since midnight of an 'HH:MM' string. */
export function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h * 60 + m;
}

/** True when the string is a real calendar date in 'YYYY-MM-DD' form. */
export function isIsoDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

/**
 * The instant at which a local wall-clock time happens in a zone (the earlier one when a DST
 * change makes it ambiguous, the next valid one when it does not exist).
 */
export function zonedTimeToInstant(date: string, hhmm: string, tz: string): Date {
  return new Date(instantOf(`${date}|${hhmm}|${tz}`));
}

const instantOf = remembered((key) => {
  const [date, hhmm, tz] = key.split('|');
  const wall = Date.parse(`${date}T${hhmm}:00Z`);
  const DAY = 86_400_000;
  // The zone's offset (wall clock minus UTC) at an instant.
  const offset = (t: number) => {
    const p = localParts(new Date(t), tz);
    return Date.parse(`${p.date}T${p.hhmm}:00Z`) - t;
  };
  const fits = (t: number) => {
    const p = localParts(new Date(t), tz);
    return p.date === date && p.hhmm === hhmm;
  };
  // The offsets in force a day before and a day after; equal unless the clocks change in between.
  const before = wall - offset(wall - DAY);
  const after = wall - offset(wall + DAY);
  const found = [before, after].filter(fits);
  // Both fit: ambiguous, take the earlier. Neither fits: a gap; the old offset lands just past it.
  return found.length > 0 ? Math.min(...found) : before;
});

/** 'YYYY-MM-DD' of a date column, whether the driver returned a string or a Date at UTC midnight. */
export const dateOnly = (value: string | Date) => (value instanceof Date ? value.toISOString().slice(0, 10) : String(value).slice(0, 10));

/** PostgreSQL's text form of a timestamptz in a UTC session: '2026-12-01 08:17:00.482775+00' (0–6 fraction digits). */
const PG_UTC = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{1,6})?\+00$/;
/** Padding of a 1- or 2-digit fraction to milliseconds, by string length (24: '.4', 25: '.48'). */
const MS_PAD: Record<number, string> = { 24: '00', 25: '0' };

/**
 * The ISO form (toISOString) of a timestamp. PostgreSQL's UTC text is rewritten by slicing: parsing it through Date
 * was the largest CPU cost of the list endpoints (V8's legacy date parser, ~2 µs per value, four per record). Same
 * output: milliseconds truncated, as Date parsing does; anything else (other offsets, Dates) goes through Date.
 */
export function isoTimestamp(value: string | Date): string {
  if (typeof value === 'string' && PG_UTC.test(value)) {
    const n = value.length;
    const day = value.slice(0, 10);
    if (n === 22) return `${day}T${value.slice(11, 19)}.000Z`;
    if (n >= 26) return `${day}T${value.slice(11, 23)}Z`;
    return `${day}T${value.slice(11, n - 3)}${MS_PAD[n]}Z`;
  }
  return (value instanceof Date ? value : new Date(value)).toISOString();
}
/** isoTimestamp, or null. */
export const isoOrNull = (value: string | Date | null | undefined) => (value == null ? null : isoTimestamp(value));

