// npm run docs:roles — prints the access matrix (src/modules/auth/access-matrix.ts); --write puts it in README.md.
import { readFileSync, writeFileSync } from 'node:fs';
import { accessMatrixMarkdown } from '../modules/auth/access-matrix.ts';

const table = accessMatrixMarkdown();
if (process.argv.includes('--write')) {
  const readme = readFileSync('README.md', 'utf8');
  writeFileSync('README.md', readme.replace(/<!-- roles:start -->[\s\S]*<!-- roles:end -->/, `<!-- roles:start -->\n${table}\n<!-- roles:end -->`));
} else {
  console.log(table);
}
