// npm run docs:roles — prints the roles matrix from the endpoint declarations; --write puts it in README.md.
import { readFileSync, writeFileSync } from 'node:fs';
import { endpoints } from '../app.ts';

const ROLES = ['admin', 'manager', 'employee'] as const;

/** The roles matrix as a Markdown table, one row per endpoint. */
export function rolesMatrix(): string {
  const lines = ['| endpoint | anonymous | employee | manager | admin | scope |', '|---|---|---|---|---|---|'];
  for (const ep of endpoints) {
    const cell = (role: (typeof ROLES)[number] | 'anonymous') =>
      ep.access === 'public' ? 'yes' : role !== 'anonymous' && ep.access.includes(role) ? 'yes' : '—';
    lines.push(
      `| \`${ep.method.toUpperCase()} ${ep.path}\` | ${cell('anonymous')} | ${cell('employee')} | ${cell('manager')} | ${cell('admin')} | ${ep.scope ?? ''} |`,
    );
  }
  for (const path of ['/docs', '/openapi.json']) lines.push(`| \`GET ${path}\` | yes | yes | yes | yes |  |`);
  return lines.join('\n');
}

if (import.meta.main) {
  const table = rolesMatrix();
  if (process.argv.includes('--write')) {
    const readme = readFileSync('README.md', 'utf8');
    const next = readme.replace(/<!-- roles:start -->[\s\S]*<!-- roles:end -->/, `<!-- roles:start -->\n${table}\n<!-- roles:end -->`);
    writeFileSync('README.md', next);
  } else {
    console.log(table);
  }
}
