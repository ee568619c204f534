import { readFileSync, readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import type { AppEnv } from '../../infra/http.ts';
import { boardRulesScript } from '../boards/index.ts';
import { CATALOGUES, pickLanguage, translator } from './i18n.ts';
import { pages } from './pages.templates.ts';

const PUBLIC = fileURLToPath(new URL('./public', import.meta.url));
const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.json': 'application/json; charset=utf-8' };
/** The pages' scripts and styles, read once: small, and the same for every request. */
const FILES = new Map(
  readdirSync(PUBLIC)
    .filter((f) => TYPES[extname(f)])
    .map((f) => [f, readFileSync(join(PUBLIC, f))]),
);
/** Every page in every language, rendered once. */
const RENDERED = new Map([...CATALOGUES.keys()].map((lang) => [lang, pages(translator(lang), lang)]));
const CATALOGUE_BODIES = new Map([...CATALOGUES].map(([lang, c]) => [lang, JSON.stringify(c)]));
export const PAGE_PATHS = Object.keys(RENDERED.values().next().value ?? {});

/** The pages people use (home, sign-in, self-service, kiosk, board, admin console, assistant), with their scripts, styles and words. */
export function pageRoutes() {
  const app = new Hono<AppEnv>({ strict: false });
  for (const path of PAGE_PATHS) {
    app.get(path, (c) => {
      const lang = pickLanguage(c.req.header('cookie'), c.req.header('accept-language'));
      c.header('Content-Language', lang);
      c.header('Vary', 'Accept-Language, Cookie');
      c.header('Cache-Control', 'no-cache');
      return c.html(RENDERED.get(lang)![path]);
    });
  }
  // The board's state rule, the server's own file (src/modules/boards/board.rules.ts) with its types stripped.
  app.get('/static/board-rules.js', (c) => c.body(boardRulesScript(), 200, { 'Content-Type': TYPES['.js'], 'Cache-Control': 'public, max-age=300' }));
  // The catalogue a page's script translates with (the page's own words arrive already translated).
  app.get('/static/i18n/:file', (c) => {
    const body = CATALOGUE_BODIES.get(c.req.param('file').replace(/\.json$/, ''));
    if (!body) return c.json({ detail: 'Not found', code: 'not_found' }, 404);
    return c.body(body, 200, { 'Content-Type': TYPES['.json'], 'Cache-Control': 'public, max-age=300' });
  });
  app.get('/static/:file', (c) => {
    const file = c.req.param('file');
    const body = FILES.get(file);
    if (!body) return c.json({ detail: 'Not found', code: 'not_found' }, 404);
    return c.body(body, 200, { 'Content-Type': TYPES[extname(file)], 'Cache-Control': 'public, max-age=300' });
  });
  return app;
}
