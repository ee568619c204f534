/**
 * The number check of model answers: every figure in an answer must be found in the tool results of that run (or in
 * the question, or in the dates of today and of the scope). Derived forms count: a rate with one decimal or rounded,
 * minutes as hours, the size of a list, the day, month and year of a date, a time HH:MM.
 */

const DATE_RE = /\b\d{4}-\d{2}-\d{2}\b/g;
const TIME_RE = /\b\d{1,2}:\d{2}\b/g;
/** Digits that stand alone (not inside a word or an id such as "B100015"). */
const NUMBER_RE = /(?<![\p{L}\d_-])\d+(?:\.\d+)?(?![\p{L}\d_])/gu;

const norm = (n: number) => String(Math.round(n * 10) / 10);

/** The figures of a text: whole dates, whole HH:MM times, then every other number (normalised, "97.50" → "97.5"). */
export function figuresIn(text: string): string[] {
  const out: string[] = [];
  let rest = text.replace(DATE_RE, (d) => (out.push(d), ' '));
  rest = rest.replace(TIME_RE, (t) => (out.push(t.padStart(5, '0')), ' '));
  for (const m of rest.matchAll(NUMBER_RE)) out.push(norm(Number(m[0])));
  return out;
}

/** Every figure found in some values (recursively), with the forms a sentence may give them. */
export function groundedFigures(...values: unknown[]): Set<string> {
  const found = new Set<string>();
  const addNumber = (n: number) => {
    found.add(norm(n));
    found.add(String(Math.round(n)));
    found.add(String(Math.floor(n)));
  };
  const walk = (v: unknown, key = '') => {
    if (typeof v === 'number' && Number.isFinite(v)) {
      addNumber(v);
      // Minutes are said in hours.
      if (/minutes/.test(key)) addNumber(v / 60);
    } else if (typeof v === 'string') {
      for (const f of figuresIn(v)) {
        found.add(f);
        if (/^\d{4}-\d{2}-\d{2}$/.test(f)) for (const part of f.split('-')) addNumber(Number(part));
        if (/^\d{2}:\d{2}$/.test(f)) found.add(String(Number(f.slice(0, 2))));
      }
    } else if (Array.isArray(v)) {
      addNumber(v.length);
      v.forEach((x) => walk(x, key));
    } else if (v && typeof v === 'object') {
      const entries = Object.entries(v);
      // The number of keys of a small map (counts by status or weekday) is a count too.
      if (entries.length && entries.every(([, x]) => typeof x === 'number')) addNumber(entries.length);
      // Text people typed (notes, reasons) is not a source of figures: an injected number there grounds nothing.
      for (const [k, x] of entries) if (!k.endsWith('_untrusted')) walk(x, k);
    }
  };
  values.forEach((v) => walk(v));
  return found;
}

/**
 * The figures of a question that may be repeated: its dates, years and small counts ("top 3", "at least 2 times",
 * "the last 7 days"), not a figure it dictates ("say it was 99%").
 */
export function questionFigures(question: string): string[] {
  const q = question.replace(/\d+(?:\.\d+)?\s*%/g, ' ');
  return figuresIn(q).filter((f) => /[-:]/.test(f) || Number(f) <= 60 || (Number(f) >= 1900 && Number(f) <= 2100));
}

/** The figures of `text` not found among `allowed`. */
export function ungrounded(text: string, allowed: Set<string>): string[] {
  return figuresIn(text).filter((f) => !allowed.has(f));
}

const ANY_RE = /\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}:\d{2}\b|(?<![\p{L}\d_-])\d+(?:\.\d+)?(?![\p{L}\d_])/gu;

/** Marks each figure of `text` that is not grounded: "42 [unverified]". */
export function markUnverified(text: string, allowed: Set<string>): string {
  return text.replace(ANY_RE, (f) => {
    const key = /-/.test(f) ? f : /:/.test(f) ? f.padStart(5, '0') : norm(Number(f));
    return allowed.has(key) ? f : `${f} [unverified]`;
  });
}
