// The pages' words: every catalogue has exactly English's keys (a third language is one more file, nothing else),
// with the same placeholders, and every key the pages use exists. The reader's language follows their choice, then
// their browser.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CATALOGUES, DEFAULT_LANGUAGE, LANGUAGES, pickLanguage, translator } from '../src/modules/pages/i18n.ts';

const PAGES = new URL('../src/modules/pages/', import.meta.url);
const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('catalogues', () => {
  const english = CATALOGUES.get(DEFAULT_LANGUAGE)!;

  it('when the catalogues are compared with English, then German (and every other) has the same keys, none empty, with the same placeholders', () => {
    expect([...CATALOGUES.keys()]).toEqual(expect.arrayContaining(['de', 'en']));
    for (const [lang, catalogue] of CATALOGUES) {
      expect(Object.keys(catalogue).sort(), `${lang}: keys`).toEqual(Object.keys(english).sort());
      for (const [key, text] of Object.entries(catalogue)) {
        expect(text.trim(), `${lang}: ${key} is empty`).not.toBe('');
        expect(placeholders(text), `${lang}: ${key} placeholders`).toEqual(placeholders(english[key]));
      }
    }
    expect(LANGUAGES).toEqual(expect.arrayContaining([['de', 'Deutsch'], ['en', 'English']]));
  });

  it('when the pages’ templates and scripts are read, then every key they name is in the English catalogue', () => {
    const sources = [
      readFileSync(new URL('pages.templates.ts', PAGES), 'utf8'),
      ...readdirSync(new URL('public/', PAGES)).filter((f) => f.endsWith('.js')).map((f) => readFileSync(new URL(`public/${f}`, PAGES), 'utf8')),
    ].join('\n');
    const used = new Set([
      ...[...sources.matchAll(/\b[te]\('([a-z_]+\.[a-z0-9_.]+)'/g)].map((m) => m[1]),
      ...[...sources.matchAll(/field\(t, '[^']+', '([a-z_.0-9]+)'/g)].map((m) => m[1]),
      ...[...sources.matchAll(/key: '([a-z_.]+)'/g)].map((m) => m[1]),
    ]);
    expect(used.size).toBeGreaterThan(150);
    expect([...used].filter((key) => !(key in english))).toEqual([]);
    // Keys built at run time: board states, roles, statuses, request states, weekdays, the admin's sections.
    for (const key of ['board.state.in', 'board.state.off', 'role.manager', 'status.Late', 'corr.status.approved', 'weekday.7', 'admin.audit', 'conn.live', 'nav.me.hint']) {
      expect(english[key], key).toBeTruthy();
    }
  });

  it('when a key has placeholders, then the translator fills them, and a key a catalogue lacks falls back to English', () => {
    expect(translator('de')('kiosk.waiting', { count: 3 })).toBe('3 warten');
    expect(translator('en')('kiosk.waiting', { count: 3 })).toBe('3 waiting');
    expect(translator('xx')('login.title')).toBe('Sign in');
    expect(translator('en')('no.such.key')).toBe('no.such.key');
  });
});

describe('choosing the language', () => {
  it.each([
    [undefined, 'de-DE,de;q=0.9,en;q=0.8', 'de'],
    [undefined, 'de-AT', 'de'],
    [undefined, 'fr-FR,fr;q=0.9,de;q=0.5', 'de'],
    [undefined, 'en-US,en;q=0.9,de;q=0.8', 'en'],
    [undefined, 'fr;q=1, en;q=0.2, de;q=0.7', 'de'],
    [undefined, 'fr', 'en'],
    [undefined, undefined, 'en'],
    [undefined, 'de;q=0', 'en'],
    ['lang=en', 'de-DE', 'en'],
    ['theme=dark; lang=de', 'en-US', 'de'],
    ['lang=xx', 'de-DE', 'de'],
    ['lang=../../etc', undefined, 'en'],
  ])('cookie %s with Accept-Language %s → %s', (cookie, accept, lang) => {
    expect(pickLanguage(cookie, accept)).toBe(lang);
  });
});
