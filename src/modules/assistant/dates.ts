import { addDays, isIsoDate, isoWeekday } from '../../infra/time.ts';

/** A resolved period: local dates (inclusive) and how to say it. */
export type Period = { from: string; to: string; label: string };

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const MONTH_SHORT = MONTHS.map((m) => m.slice(0, 3));
const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
const NUMBER_WORDS: Record<string, number> = {
  one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, eleven: 11, twelve: 12,
  fourteen: 14, fifteen: 15, twenty: 20, thirty: 30, once: 1, twice: 2, thrice: 3,
};

export const numberFrom = (token: string): number | null => (/^\d+$/.test(token) ? Number(token) : (NUMBER_WORDS[token] ?? null));

const monthStart = (year: number, month: number) => `${year}-${String(month + 1).padStart(2, '0')}-01`;
const monthEnd = (year: number, month: number) => addDays(month === 11 ? monthStart(year + 1, 0) : monthStart(year, month + 1), -1);
const min = (a: string, b: string) => (a < b ? a : b);

function monthIndex(word: string): number {
  const i = MONTHS.indexOf(word);
  return i >= 0 ? i : MONTH_SHORT.indexOf(word);
}

/**
 * Finds the period a question speaks of, relative to `today` (a local date in the organisation's zone):
 * today, yesterday, this/last week, this/last month, this/last year, last N days/weeks, in March (2026),
 * this/last Monday, since Monday, since March, on 2026-11-03, between/from X and/to Y, since X. Null when the question names none.
 */
export function resolvePeriod(question: string, today: string): Period | null {
  const q = question.toLowerCase().replace(/[’']/g, "'");
  const year = Number(today.slice(0, 4));
  const month = Number(today.slice(5, 7)) - 1;
  const monday = addDays(today, 1 - isoWeekday(today));

  const iso = [...q.matchAll(/\b(\d{4}-\d{2}-\d{2})\b/g)].map((m) => m[1]).filter(isIsoDate);
  if (iso.length >= 2 && /\b(between|from)\b/.test(q)) {
    const [a, b] = iso[0] <= iso[1] ? [iso[0], iso[1]] : [iso[1], iso[0]];
    return { from: a, to: b, label: `from ${a} to ${b}` };
  }
  if (iso.length >= 1 && /\bsince\b/.test(q)) return { from: iso[0], to: today, label: `since ${iso[0]}` };
  if (iso.length >= 1) return { from: iso[0], to: iso[0], label: `on ${iso[0]}` };

  if (/\btoday\b|\bright now\b|\bnow\b|\bcurrently\b|\bat the moment\b|\bso far today\b/.test(q)) return { from: today, to: today, label: 'today' };
  if (/\bday before yesterday\b/.test(q)) {
    const d = addDays(today, -2);
    return { from: d, to: d, label: `the day before yesterday (${d})` };
  }
  if (/\byesterday\b/.test(q)) {
    const d = addDays(today, -1);
    return { from: d, to: d, label: `yesterday (${d})` };
  }
  let m = q.match(/\b(?:last|past|previous)\s+(\d+|[a-z]+)\s+(day|days|week|weeks|month|months)\b/);
  if (m && numberFrom(m[1])) {
    const n = numberFrom(m[1])!;
    const days = m[2].startsWith('day') ? n : m[2].startsWith('week') ? n * 7 : n * 30;
    const from = addDays(today, -(days - 1));
    return { from, to: today, label: `in the last ${n} ${m[2]} (${from} to ${today})` };
  }
  if (/\b(this|current)\s+week\b/.test(q)) return { from: monday, to: today, label: `this week (${monday} to ${today})` };
  if (/\b(last|past|previous)\s+week\b/.test(q)) {
    const from = addDays(monday, -7);
    const to = addDays(monday, -1);
    return { from, to, label: `last week (${from} to ${to})` };
  }
  if (/\b(this|current)\s+month\b/.test(q)) {
    const from = monthStart(year, month);
    return { from, to: today, label: `this month (${from} to ${today})` };
  }
  if (/\b(last|past|previous)\s+month\b/.test(q)) {
    const y = month === 0 ? year - 1 : year;
    const mo = month === 0 ? 11 : month - 1;
    const from = monthStart(y, mo);
    const to = monthEnd(y, mo);
    return { from, to, label: `last month (${from} to ${to})` };
  }
  if (/\b(this|current)\s+year\b/.test(q)) {
    const from = `${year}-01-01`;
    return { from, to: today, label: `this year (${from} to ${today})` };
  }
  if (/\b(last|past|previous)\s+year\b/.test(q)) return { from: `${year - 1}-01-01`, to: `${year - 1}-12-31`, label: `last year (${year - 1})` };

  m = q.match(/\b(since|this|last|past|previous|on)?\s*(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b/);
  if (m && !/\b(every|each|which|what)\s+(week)?day\b/.test(q) && !/\b(mondays|tuesdays|wednesdays|thursdays|fridays)\b/.test(q)) {
    const target = WEEKDAYS.indexOf(m[2]) + 1;
    const thisWeek = addDays(monday, target - 1);
    if (m[1] === 'since') {
      // "since Monday": from the latest Monday up to today (today itself when it is a Monday).
      const from = thisWeek <= today ? thisWeek : addDays(thisWeek, -7);
      return { from, to: today, label: `since ${m[2][0].toUpperCase()}${m[2].slice(1)} ${from}` };
    }
    // "this Monday" is this week's; "last Monday"/"on Monday"/"Monday" is the latest one before today (this week's if past).
    let d = m[1] === 'this' ? thisWeek : thisWeek < today ? thisWeek : addDays(thisWeek, -7);
    if (m[1] === 'last' && thisWeek < today && isoWeekday(today) - target < 1) d = addDays(thisWeek, -7);
    return { from: d, to: d, label: `on ${m[2][0].toUpperCase()}${m[2].slice(1)} ${d}` };
  }

  m = q.match(/\b(?:in|during|for|of|(since))?\s*(january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\b(?:\s+(\d{4}))?/);
  if (m && !(m[2] === 'may' && !/\b(in|during|for|of|since)\s+may\b/.test(q) && !m[3])) {
    const mo = monthIndex(m[2] === 'sept' ? 'sep' : m[2]);
    // Without a year: the latest such month that has begun.
    const y = m[3] ? Number(m[3]) : mo <= month ? year : year - 1;
    const from = monthStart(y, mo);
    // "since February": from its first day up to today.
    if (m[1]) return { from, to: today, label: `since ${MONTHS[mo][0].toUpperCase()}${MONTHS[mo].slice(1)} ${y} (${from} to ${today})` };
    const to = min(monthEnd(y, mo), today);
    return { from, to, label: `in ${MONTHS[mo][0].toUpperCase()}${MONTHS[mo].slice(1)} ${y} (${from} to ${to})` };
  }
  return null;
}
