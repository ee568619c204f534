// The board rule as the page runs it: board.rules.ts itself, its types stripped (no second copy to keep in step).
import { readFileSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';

let script: string | null = null;

/** board.rules.ts as a browser module (read and stripped once). */
export function boardRulesScript(): string {
  script ??= stripTypeScriptTypes(readFileSync(new URL('./board.rules.ts', import.meta.url), 'utf8'));
  return script;
}
