/**
 * The assistant's period parser: every way a question names a stretch of local dates, relative to `today` (a local
 * date in the organisation's zone). It finds each period a question names (with where it was said), joins
 * "from A to B" into one range, and tells a comparison of two periods ("March vs February") from one period.
 * Periods that begin after today are marked `future`; periods that run past today are cut at today.
 * "Yesterday" and "the last N working days" depend on the schedules: the planner finishes them (`needs`).
 */
import { addDays, isIsoDate, isoWeekday } from '../../infra/time.ts';

export type Period = { from: string; to: string; label: string };

export type FoundPeriod = Period & {
  /** Where in the (lower-cased) question it was said, for ordering and joining. */
  start: number;
  end: number;
  /** It begins after today: there is no attendance for it yet. */
  future?: boolean;
  /** The schedule finishes it: the last working day before today, or the last N working days up to today. */
  needs?: { lastWorkingDay: true } | { workingDays: number };
};

export type PeriodReading = { periods: FoundPeriod[]; compare: boolean; /** The question with the periods blanked out. */ rest: string };

export const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
const NUMBER_WORDS: Record<string, number> = {
  a: 1, an: 1, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, eleven: 11, twelve: 12,
  thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16, twenty: 20, thirty: 30, once: 1, twice: 2, thrice: 3,
};
const ORDINALS: Record<string, number> = { first: 1, '1st': 1, second: 2, '2nd': 2, third: 3, '3rd': 3, fourth: 4, '4th': 4, fifth: 5, '5th': 5, last: -1 };

/** A whole number written in digits or words ("3", "three", "twice"), else null. */
export const numberFrom = (token: string): number | null => (/^\d+$/.test(token) ? Number(token) : (NUMBER_WORDS[token] ?? null));

const cap = (s: string) => s[0].toUpperCase() + s.slice(1);
const pad = (n: number) => String(n).padStart(2, '0');
const ymd = (y: number, m: number, d: number) => `${y}-${pad(m + 1)}-${pad(d)}`;
const monthStart = (y: number, m: number) => ymd(y, m, 1);
const monthEnd = (y: number, m: number) => addDays(m === 11 ? monthStart(y + 1, 0) : monthStart(y, m + 1), -1);
const weekdayName = (date: string) => cap(WEEKDAYS[isoWeekday(date) - 1]);
const mondayOf = (date: string) => addDays(date, 1 - isoWeekday(date));
const span = (from: string, to: string) => (from === to ? from : `${from} to ${to}`);

const MONTH_RE = '(january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)';
const monthIndex = (word: string) => {
  const w = word === 'sept' ? 'sep' : word;
  const i = MONTHS.indexOf(w);
  return i >= 0 ? i : MONTHS.map((m) => m.slice(0, 3)).indexOf(w);
};
const WEEKDAY_RE = '(monday|tuesday|wednesday|thursday|friday|saturday|sunday)';
const DAY_RE = '(\\d{1,2})(?:st|nd|rd|th)?(?!\\d|:)';
const YEAR_RE = '(?:,?\\s+(\\d{4}))?';

type Ctx = { today: string; year: number; month: number; day: number };

/** The year of a month named without one: the latest such month that has begun. */
const yearOfMonth = (c: Ctx, m: number) => (m <= c.month ? c.year : c.year - 1);

/** A day named without a year: this year's when its month has begun (it may still be ahead), else last year's. */
function dayOf(c: Ctx, m: number, d: number, year?: string): string | null {
  const y = year ? Number(year) : yearOfMonth(c, m);
  const date = ymd(y, m, d);
  return isIsoDate(date) ? date : null;
}

type Raw = { from: string; to: string; label: (from: string, to: string) => string; needs?: FoundPeriod['needs']; since?: boolean };

/** The pieces of a question that name periods, most specific first. Each finds its matches in the text not yet taken. */
const FINDERS: [RegExp, (m: RegExpExecArray, c: Ctx) => Raw | null][] = [
  // ISO ranges and dates.
  [/\b(?:between|from)\s+(\d{4}-\d{2}-\d{2})\s+(?:and|to|until|till|through|-)\s+(\d{4}-\d{2}-\d{2})\b/g, (m) => {
    if (!isIsoDate(m[1]) || !isIsoDate(m[2])) return null;
    const [a, b] = m[1] <= m[2] ? [m[1], m[2]] : [m[2], m[1]];
    return { from: a, to: b, label: (f, t) => `from ${f} to ${t}` };
  }],
  [/\b(?:the\s+)?week\s+(?:of|containing|starting(?:\s+on)?|beginning|commencing|including|from)\s+(?:the\s+)?(\d{4}-\d{2}-\d{2})\b/g, (m) => (isIsoDate(m[1]) ? week(mondayOf(m[1])) : null)],
  [/\b(since|after)?\s*(\d{4}-\d{2}-\d{2})\b/g, (m, c) => {
    if (!isIsoDate(m[2])) return null;
    if (m[1]) return { from: m[1] === 'after' ? addDays(m[2], 1) : m[2], to: c.today, label: () => `since ${m[2]}`, since: true };
    return { from: m[2], to: m[2], label: (f) => `on ${f}` };
  }],
  // "2-6 March", "from the 2nd to the 6th of March 2026".
  [new RegExp(`\\b(?:from|between)?\\s*(?:the\\s+)?${DAY_RE}\\s*(?:-|to|and|until|till|through)\\s*(?:the\\s+)?${DAY_RE}\\s+(?:of\\s+)?${MONTH_RE}\\b${YEAR_RE}`, 'g'), (m, c) => {
    const mo = monthIndex(m[3]);
    const a = dayOf(c, mo, Number(m[1]), m[4]);
    const b = dayOf(c, mo, Number(m[2]), m[4]);
    return a && b && a <= b ? { from: a, to: b, label: (f, t) => `from ${f} to ${t}` } : null;
  }],
  // "March 2-6", "March 28 to April 3, 2026".
  [new RegExp(`\\b(?:from|between)?\\s*${MONTH_RE}\\s+(?:the\\s+)?${DAY_RE}\\s*(?:-|to|and|until|till|through)\\s*(?:${MONTH_RE}\\s+)?(?:the\\s+)?${DAY_RE}${YEAR_RE}`, 'g'), (m, c) => {
    const mo = monthIndex(m[1]);
    const mo2 = m[3] ? monthIndex(m[3]) : mo;
    const a = dayOf(c, mo, Number(m[2]), m[5]);
    let b = dayOf(c, mo2, Number(m[4]), m[5]);
    if (a && b && b < a && mo2 < mo) b = addDays(b, 0).replace(/^\d{4}/, String(Number(b.slice(0, 4)) + 1));
    return a && b && a <= b ? { from: a, to: b, label: (f, t) => `from ${f} to ${t}` } : null;
  }],
  // "the week of March 9", "the week containing the 11th of March".
  [new RegExp(`\\b(?:the\\s+)?week\\s+(?:of|containing|starting(?:\\s+on)?|beginning|commencing|including|from)\\s+(?:the\\s+)?(?:${MONTH_RE}\\s+(?:the\\s+)?${DAY_RE}|${DAY_RE}\\s+(?:of\\s+)?${MONTH_RE})${YEAR_RE}`, 'g'), (m, c) => {
    const mo = monthIndex(m[1] ?? m[4]);
    const d = dayOf(c, mo, Number(m[2] ?? m[3]), m[5]);
    return d ? week(mondayOf(d)) : null;
  }],
  // "the second week of November", "the last week of March 2026", "the first week of this month": weeks run Monday to
  // Sunday; the first is the one holding the month's first weekday (Monday to Friday); each is cut to the month.
  [new RegExp(`\\b(?:the\\s+)?(first|second|third|fourth|fifth|1st|2nd|3rd|4th|5th|last)\\s+week\\s+(?:of|in)\\s+(?:${MONTH_RE}|(this|last)\\s+month)${YEAR_RE}`, 'g'), (m, c) => {
    const mo = m[2] ? monthIndex(m[2]) : m[3] === 'last' ? (c.month + 11) % 12 : c.month;
    const y = m[4] ? Number(m[4]) : m[2] ? yearOfMonth(c, mo) : m[3] === 'last' && c.month === 0 ? c.year - 1 : c.year;
    const first = monthStart(y, mo);
    const end = monthEnd(y, mo);
    const firstWeekday = isoWeekday(first) <= 5 ? first : addDays(first, 8 - isoWeekday(first));
    const n = ORDINALS[m[1]];
    const monday = n > 0 ? addDays(mondayOf(firstWeekday), 7 * (n - 1)) : mondayOf(isoWeekday(end) <= 5 ? end : addDays(end, 5 - isoWeekday(end)));
    if (monday > end) return null;
    const from = monday < first ? first : monday;
    const sunday = addDays(monday, 6);
    const to = sunday > end ? end : sunday;
    return { from, to, label: (f, t) => `in the ${m[1]} week of ${cap(MONTHS[mo])} ${y} (${f} to ${t})` };
  }],
  // "the first Monday of March", "the last Friday in February 2026".
  [new RegExp(`\\b(?:the\\s+)?(first|second|third|fourth|fifth|1st|2nd|3rd|4th|5th|last)\\s+${WEEKDAY_RE}\\s+(?:of|in)\\s+(?:${MONTH_RE}|(this|last)\\s+month)${YEAR_RE}`, 'g'), (m, c) => {
    const mo = m[3] ? monthIndex(m[3]) : m[4] === 'last' ? (c.month + 11) % 12 : c.month;
    const y = m[5] ? Number(m[5]) : m[3] ? yearOfMonth(c, mo) : m[4] === 'last' && c.month === 0 ? c.year - 1 : c.year;
    const target = WEEKDAYS.indexOf(m[2]) + 1;
    const n = ORDINALS[m[1]];
    let d: string;
    if (n > 0) {
      const first = monthStart(y, mo);
      d = addDays(first, (target - isoWeekday(first) + 7) % 7 + 7 * (n - 1));
      if (d > monthEnd(y, mo)) return null;
    } else {
      const last = monthEnd(y, mo);
      d = addDays(last, -((isoWeekday(last) - target + 7) % 7));
    }
    return { from: d, to: d, label: (f) => `on ${weekdayName(f)} ${f}` };
  }],
  // "(since) the 3rd of March (2026)", "March 3rd", "on 3 March".
  [new RegExp(`\\b(since|after)?\\s*(?:on\\s+)?(?:the\\s+)?${DAY_RE}\\s+(?:of\\s+)?${MONTH_RE}\\b${YEAR_RE}`, 'g'), (m, c) => dayMatch(c, m[1], monthIndex(m[3]), Number(m[2]), m[4])],
  [new RegExp(`\\b(since|after)?\\s*(?:on\\s+)?${MONTH_RE}\\s+(?:the\\s+)?${DAY_RE}${YEAR_RE}`, 'g'), (m, c) => dayMatch(c, m[1], monthIndex(m[2]), Number(m[3]), m[4])],
  // "on the 5th": a day of this month (of last month when this month's is still ahead).
  [/\b(since|after)?\s*(?:on\s+)?the\s+(\d{1,2})(?:st|nd|rd|th)\b(?!\s+(?:week|quarter|half|time))/g, (m, c) => {
    const d = Number(m[2]);
    let date = ymd(c.year, c.month, d);
    if (date > c.today) date = c.month === 0 ? ymd(c.year - 1, 11, d) : ymd(c.year, c.month - 1, d);
    if (!isIsoDate(date)) return null;
    if (m[1]) return { from: date, to: c.today, label: (f, t) => `since ${f} (${span(f, t)})`, since: true };
    return { from: date, to: date, label: (f) => `on ${weekdayName(f)} ${f}` };
  }],
  // Quarters and halves.
  [/\b(?:(this|current|last|previous|past|next)\s+quarter|q([1-4])|(first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter)(?:\s+(?:of\s+)?(\d{4}|last year|this year))?\b/g, (m, c) => {
    const thisQ = Math.floor(c.month / 3);
    let q: number;
    let y: number;
    if (m[1]) {
      const back = m[1] === 'next' ? -1 : m[1] === 'this' || m[1] === 'current' ? 0 : 1;
      q = thisQ - back;
      y = c.year + Math.floor(q / 4);
      q = ((q % 4) + 4) % 4;
    } else {
      q = (m[2] ? Number(m[2]) : ORDINALS[m[3]]) - 1;
      y = m[4] === 'last year' ? c.year - 1 : m[4] && /\d/.test(m[4]) ? Number(m[4]) : m[4] === 'this year' || q <= thisQ ? c.year : c.year - 1;
    }
    return { from: monthStart(y, q * 3), to: monthEnd(y, q * 3 + 2), label: (f, t) => `in Q${q + 1} ${y} (${span(f, t)})` };
  }],
  [/\b(?:h([12])|(first|second|1st|2nd)\s+half(?:\s+of)?(?:\s+the\s+year)?|(this|last|next)\s+half[- ]?year)(?:\s+(?:of\s+)?(\d{4}|last year|this year))?\b/g, (m, c) => {
    const thisH = c.month < 6 ? 0 : 1;
    let h: number;
    let y: number;
    if (m[3]) {
      const idx = thisH + (m[3] === 'next' ? 1 : m[3] === 'last' ? -1 : 0);
      y = c.year + Math.floor(idx / 2);
      h = ((idx % 2) + 2) % 2;
    } else {
      h = m[1] ? Number(m[1]) - 1 : ORDINALS[m[2]] - 1;
      y = m[4] === 'last year' ? c.year - 1 : m[4] && /\d/.test(m[4]) ? Number(m[4]) : m[4] === 'this year' || h <= thisH ? c.year : c.year - 1;
    }
    return { from: monthStart(y, h * 6), to: monthEnd(y, h * 6 + 5), label: (f, t) => `in H${h + 1} ${y} (${span(f, t)})` };
  }],
  // Relative days.
  [/\b(?:the\s+)?day\s+before\s+yesterday\b/g, (_m, c) => {
    const d = addDays(c.today, -2);
    return { from: d, to: d, label: (f) => `the day before yesterday (${f})` };
  }],
  [/\byesterday\b/g, (_m, c) => {
    const d = addDays(c.today, -1);
    return { from: d, to: d, label: (f) => `yesterday (${f})`, needs: { lastWorkingDay: true } };
  }],
  [/\b(?:the\s+day\s+after\s+)?tomorrow\b/g, (m, c) => {
    const d = addDays(c.today, m[0].startsWith('the') ? 2 : 1);
    return { from: d, to: d, label: (f) => `tomorrow (${f})` };
  }],
  [/\b(?:(?:last|past|previous)\s+)?(\d+|[a-z]+)\s+(?:working|business|work)\s+days?\b/g, (m, c) => {
    const n = numberFrom(m[1]);
    if (!n || n > 366) return null;
    return { from: c.today, to: c.today, label: (f, t) => `in the last ${n} working ${n === 1 ? 'day' : 'days'} (${span(f, t)})`, needs: { workingDays: n } };
  }],
  [/\b(?:(?:in|over|during|for)\s+)?(?:the\s+)?(next|coming|following)\s+(\d+|[a-z]+)\s+(days?|weeks?|months?)\b/g, (m, c) => {
    const n = numberFrom(m[2]);
    if (!n) return null;
    const from = addDays(c.today, 1);
    const days = m[3].startsWith('day') ? n : m[3].startsWith('week') ? n * 7 : n * 30;
    return { from, to: addDays(c.today, days), label: (f, t) => `in the next ${n} ${m[3]} (${span(f, t)})` };
  }],
  [/\b(?:last|past|previous)\s+(\d+|[a-z]+)\s+(days?|weeks?|months?)\b/g, (m, c) => {
    const n = numberFrom(m[1]);
    if (!n || n > 400) return null;
    const days = m[2].startsWith('day') ? n : m[2].startsWith('week') ? n * 7 : n * 30;
    const from = addDays(c.today, -(days - 1));
    return { from, to: c.today, label: (f, t) => `in the last ${n} ${m[2]} (${span(f, t)})` };
  }],
  [/\b(?:today|right now|now|currently|at the moment|so far today|this morning|this afternoon|at present|presently)\b/g, (_m, c) => ({ from: c.today, to: c.today, label: (f) => `today (${f})` })],
  // Weeks.
  [/\b(?:(?:this|current)\s+week(?:\s+so\s+far|\s+to\s+date)?|so\s+far\s+this\s+week|week\s+to\s+date|wtd)\b/g, (_m, c) => ({ from: mondayOf(c.today), to: c.today, label: (f, t) => `this week so far (${span(f, t)})` })],
  [/\b(?:the\s+)?week\s+before\s+last\b/g, (_m, c) => ({ ...week(addDays(mondayOf(c.today), -14)), label: (f, t) => `the week before last (${f} to ${t})` })],
  [/\b(?:last|past|previous|prior)\s+week\b/g, (_m, c) => ({ ...week(addDays(mondayOf(c.today), -7)), label: (f, t) => `last week (${f} to ${t})` })],
  [/\b(?:next|coming|upcoming|following)\s+week\b/g, (_m, c) => ({ ...week(addDays(mondayOf(c.today), 7)), label: (f, t) => `next week (${f} to ${t})` })],
  // ISO week numbers.
  [/\b(?:iso\s+)?week\s+(?:number\s+|no\.?\s+|#)?(\d{1,2})(?:\s+(?:of\s+)?(\d{4}))?\b/g, (m, c) => {
    const n = Number(m[1]);
    const y = m[2] ? Number(m[2]) : c.year;
    if (n < 1 || n > 53) return null;
    const jan4 = `${y}-01-04`;
    const monday = addDays(mondayOf(jan4), 7 * (n - 1));
    return { ...week(monday), label: (f, t) => `in week ${n} of ${y} (${span(f, t)})` };
  }],
  // Months and years.
  [/\b(?:(?:this|current)\s+month(?:\s+so\s+far|\s+to\s+date)?|so\s+far\s+this\s+month|month\s+to\s+date|mtd)\b/g, (_m, c) => ({ from: monthStart(c.year, c.month), to: c.today, label: (f, t) => `this month (${span(f, t)})` })],
  [/\b(?:the\s+)?month\s+before\s+last\b/g, (_m, c) => {
    const m = (c.month + 10) % 12;
    const y = c.month < 2 ? c.year - 1 : c.year;
    return { from: monthStart(y, m), to: monthEnd(y, m), label: (f, t) => `the month before last (${f} to ${t})` };
  }],
  [/\b(?:last|past|previous|prior)\s+month\b/g, (_m, c) => {
    const m = (c.month + 11) % 12;
    const y = c.month === 0 ? c.year - 1 : c.year;
    return { from: monthStart(y, m), to: monthEnd(y, m), label: (f, t) => `last month (${f} to ${t})` };
  }],
  [/\b(?:next|coming)\s+month\b/g, (_m, c) => {
    const m = (c.month + 1) % 12;
    const y = c.month === 11 ? c.year + 1 : c.year;
    return { from: monthStart(y, m), to: monthEnd(y, m), label: (f, t) => `next month (${f} to ${t})` };
  }],
  [/\b(?:(?:this|current)\s+year(?:\s+so\s+far|\s+to\s+date)?|so\s+far\s+this\s+year|year\s+to\s+date|ytd)\b/g, (_m, c) => ({ from: `${c.year}-01-01`, to: c.today, label: (f, t) => `this year (${span(f, t)})` })],
  [/\b(?:last|previous|past)\s+year\b/g, (_m, c) => ({ from: `${c.year - 1}-01-01`, to: `${c.year - 1}-12-31`, label: () => `last year (${c.year - 1})` })],
  [/\bnext\s+year\b/g, (_m, c) => ({ from: `${c.year + 1}-01-01`, to: `${c.year + 1}-12-31`, label: () => `next year (${c.year + 1})` })],
  // Weekdays: "this Monday", "last Friday", "since Tuesday", "next Monday".
  [new RegExp(`\\b(since|this|last|past|previous|on|next|coming)?\\s*${WEEKDAY_RE}\\b(?!s)`, 'g'), (m, c) => {
    const target = WEEKDAYS.indexOf(m[2]) + 1;
    const monday = mondayOf(c.today);
    const thisWeek = addDays(monday, target - 1);
    const name = cap(m[2]);
    if (m[1] === 'since') {
      const from = thisWeek <= c.today ? thisWeek : addDays(thisWeek, -7);
      return { from, to: c.today, label: (f) => `since ${name} ${f}`, since: true };
    }
    if (m[1] === 'next' || m[1] === 'coming') {
      const d = thisWeek > c.today ? thisWeek : addDays(thisWeek, 7);
      return { from: d, to: d, label: (f) => `next ${name} (${f})` };
    }
    let d = m[1] === 'this' ? thisWeek : thisWeek < c.today ? thisWeek : addDays(thisWeek, -7);
    if (m[1] === 'last' && thisWeek < c.today && isoWeekday(c.today) - target < 1) d = addDays(thisWeek, -7);
    return { from: d, to: d, label: (f) => `on ${name} ${f}` };
  }],
  // Months by name: "in March", "March 2025", "since February", "last March".
  [new RegExp(`\\b(since|after|in|during|for|of|from|until|till|to|and|or|vs\\.?|versus|with|than|between|throughout|last|this|next)?\\s*${MONTH_RE}\\b(?:\\s+(\\d{4}))?`, 'g'), (m, c) => {
    const word = m[2];
    // "may" is a month only when it reads as one.
    if (word === 'may' && !m[1] && !m[3]) return null;
    const mo = monthIndex(word);
    let y = m[3] ? Number(m[3]) : yearOfMonth(c, mo);
    if (!m[3] && m[1] === 'last' && y === c.year && mo === c.month) y -= 1;
    if (!m[3] && m[1] === 'next') y = mo > c.month ? c.year : c.year + 1;
    const from = monthStart(y, mo);
    const to = monthEnd(y, mo);
    const name = `${cap(MONTHS[mo])} ${y}`;
    if (m[1] === 'since' || m[1] === 'after') return { from: m[1] === 'after' ? addDays(to, 1) : from, to: c.today, label: (f, t) => `since ${name} (${span(f, t)})`, since: true };
    return { from, to, label: (f, t) => `in ${name} (${span(f, t)})` };
  }],
  // A year alone: "in 2025".
  [/\b(?:in|during|for|of|since|throughout)\s+(20\d\d)\b/g, (m, c) => {
    const y = Number(m[1]);
    if (/since/.test(m[0])) return { from: `${y}-01-01`, to: c.today, label: (f, t) => `since ${y} (${span(f, t)})`, since: true };
    return { from: `${y}-01-01`, to: `${y}-12-31`, label: (f, t) => `in ${y} (${span(f, t)})` };
  }],
];

function week(monday: string): Raw {
  return { from: monday, to: addDays(monday, 6), label: (f, t) => `the week of ${f} (${f} to ${t})` };
}

function dayMatch(c: Ctx, since: string | undefined, mo: number, d: number, year?: string): Raw | null {
  const date = dayOf(c, mo, d, year);
  if (!date) return null;
  if (since) return { from: since === 'after' ? addDays(date, 1) : date, to: c.today, label: (f, t) => `since ${date} (${span(f, t)})`, since: true };
  return { from: date, to: date, label: (f) => `on ${weekdayName(f)} ${f}` };
}

const COMPARE = /\b(compare[ds]?|comparing|comparison|vs\.?|versus|against|than|relative to|difference|differ(?:ed|s)?|chang(?:e|ed|es)|improv\w*|wors\w*|better|worse|up or down|increas\w*|decreas\w*|or)\b/;
const JOIN = /^\s*(?:-|–|to|until|till|through|thru|and)\s*$/;

/** Normalises a question for the parsers: lower case, straight quotes, one space. */
export const normalise = (question: string) => question.toLowerCase().replace(/[’‘`]/g, "'").replace(/[–—]/g, '-').replace(/\s+/g, ' ').trim();

/** Every period a question names, in order; two joined by "to"/"and" after "from"/"between" are one range. */
export function readPeriods(question: string, today: string): PeriodReading {
  const q = normalise(question);
  const c: Ctx = { today, year: Number(today.slice(0, 4)), month: Number(today.slice(5, 7)) - 1, day: Number(today.slice(8, 10)) };
  let rest = q;
  const found: (Raw & { start: number; end: number })[] = [];
  for (const [re, make] of FINDERS) {
    re.lastIndex = 0;
    for (const m of [...rest.matchAll(re)]) {
      if (!m[0].trim()) continue;
      const raw = make(m as RegExpExecArray, c);
      if (!raw) continue;
      // Linking words before a period ("from", "to", "in") are not part of it: "from March to May" joins on them.
      const lead = m[0].length - m[0].replace(/^\s*(?:(?:from|between|to|and|or|until|till|in|during|for|of|on|vs\.?|versus|with|than|throughout)\s+)?/, '').length;
      const start = (m.index ?? 0) + lead;
      found.push({ ...raw, start, end: (m.index ?? 0) + m[0].length });
      rest = rest.slice(0, start) + ' '.repeat(m[0].length - lead) + rest.slice(start + m[0].length - lead);
    }
  }
  found.sort((a, b) => a.start - b.start);
  const compare = COMPARE.test(q.replace(/\bfrom\b.*\bto\b/, ' '));
  // "from March to May", "between Monday and Wednesday": one range.
  const joined: typeof found = [];
  for (const p of found) {
    const prev = joined[joined.length - 1];
    const between = prev ? q.slice(prev.end, p.start) : '';
    const opener = prev ? /\b(from|between)\s*$/.test(q.slice(Math.max(0, prev.start - 12), prev.start)) : false;
    const connector = between.trim();
    // "from Friday to Tuesday": the end is the one after the start.
    if (prev && opener && JOIN.test(between) && p.to < prev.from && p.from === p.to && addDays(p.from, 7) <= today) p.from = p.to = addDays(p.from, 7);
    if (prev && !prev.since && !p.since && JOIN.test(between) && (opener || (connector !== 'and' && !compare)) && prev.from <= p.to) {
      const from = prev.from;
      const to = p.to;
      joined[joined.length - 1] = { from, to, start: prev.start, end: p.end, label: (f, t) => `from ${f} to ${t}` };
      continue;
    }
    joined.push(p);
  }
  const periods = joined.map((p): FoundPeriod => {
    const future = p.from > today;
    const to = !future && p.to > today ? today : p.to;
    return { from: p.from, to, label: p.label(p.from, to), start: p.start, end: p.end, ...(future ? { future } : {}), ...(p.needs ? { needs: p.needs } : {}) };
  });
  return { periods, compare: compare && periods.length >= 2, rest };
}

/** The first period a question names, or null (kept for callers that want one). */
export function resolvePeriod(question: string, today: string): Period | null {
  const p = readPeriods(question, today).periods[0];
  return p ? { from: p.from, to: p.to, label: p.label } : null;
}
