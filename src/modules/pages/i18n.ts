import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The pages' words: one flat catalogue per language in ./i18n/<code>.json, `{name}` for what is filled in. A new
 * file there is a new language (it shows in every page's switch); nothing else changes. English is the fallback for
 * a key a catalogue lacks (the tests hold every catalogue to English's keys).
 */
const DIR = fileURLToPath(new URL('./i18n', import.meta.url));
export const DEFAULT_LANGUAGE = 'en';

export type Catalogue = Record<string, string>;

export const CATALOGUES: ReadonlyMap<string, Catalogue> = new Map(
  readdirSync(DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => [basename(f, '.json'), JSON.parse(readFileSync(join(DIR, f), 'utf8')) as Catalogue]),
);

/** The languages offered, as [code, own name] ("Deutsch", not "German"). */
export const LANGUAGES: [string, string][] = [...CATALOGUES].map(([code, c]) => [code, c['language.name'] ?? code]);

export type Translate = (key: string, vars?: Record<string, string | number>) => string;

export function translator(lang: string): Translate {
  const own = CATALOGUES.get(lang) ?? {};
  const fallback = CATALOGUES.get(DEFAULT_LANGUAGE) ?? {};
  return (key, vars) => {
    const text = own[key] ?? fallback[key] ?? key;
    return vars ? text.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m)) : text;
  };
}

/**
 * The reader's language: the one they chose with the switch (cookie `lang`), else the browser's first language we
 * have (Accept-Language, by its q weights; `de-AT` finds `de`), else English.
 */
export function pickLanguage(cookie: string | undefined, acceptLanguage: string | undefined): string {
  const chosen = /(?:^|;\s*)lang=([A-Za-z-]{2,16})/.exec(cookie ?? '')?.[1];
  if (chosen && CATALOGUES.has(chosen)) return chosen;
  const wanted = (acceptLanguage ?? '')
    .split(',')
    .map((part, i) => {
      const [tag, ...params] = part.trim().split(';');
      const q = Number(params.find((p) => p.trim().startsWith('q='))?.trim().slice(2) ?? 1);
      return { tag: tag.toLowerCase(), q: Number.isFinite(q) ? q : 0, i };
    })
    .filter((w) => w.tag && w.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const { tag } of wanted) {
    if (CATALOGUES.has(tag)) return tag;
    const base = tag.split('-')[0];
    if (CATALOGUES.has(base)) return base;
  }
  return DEFAULT_LANGUAGE;
}
