/**
 * `npm run bench -- <name> [args]`: runs `bench/<name>.ts` with the remaining
 * arguments. Each bench prints one JSON line on stdout.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

const [name, ...args] = process.argv.slice(2);
const file = name && /^[a-z][a-z0-9-]*$/.test(name) ? resolve(__dirname, `${name}.ts`) : '';
if (!file || !existsSync(file)) {
  process.stderr.write(`usage: npm run bench -- <name> [args]  (a file bench/<name>.ts)\n`);
  process.exit(2);
}
const r = spawnSync(process.execPath, ['--import', 'tsx', file, ...args], { stdio: 'inherit' });
process.exit(r.status ?? 1);
