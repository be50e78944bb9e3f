/**
 * `npm run bench -- <name> [args…]` runs bench/<name>.ts with its own args
 * (process.argv[2…]), e.g. `npm run bench -- memory`, `npm run bench -- boot 5`.
 * Each bench prints one JSON line on stdout (progress goes to stderr).
 */
import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';

const name = process.argv[2];
const available = readdirSync(__dirname)
  .filter((f) => f.endsWith('.ts') && !['run.ts', 'lib.ts'].includes(f))
  .map((f) => f.slice(0, -3));
if (!name || !/^[a-z0-9-]+$/.test(name) || !existsSync(resolve(__dirname, `${name}.ts`))) {
  process.stderr.write(`usage: npm run bench -- <${available.join('|')}> [args…]\n`);
  process.exit(2);
}
// The bench sees its own arguments from argv[2] on, as when run directly with tsx.
process.argv.splice(2, 1);
require(`./${name}`);
