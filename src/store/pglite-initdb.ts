import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Creates a new PGlite data dir (initdb) in a short-lived child process.
 *
 * In-process, initdb leaves ≈500 MiB behind: PGlite snapshots its whole WASM
 * heap for initdb and runs a second WASM instance, and even after those are
 * collected the allocator keeps most of it resident (measured: an idle
 * gateway at ≈850 MiB after its first boot, ≈370 MiB after a restart). In a
 * child process all of it goes back to the OS when the child exits; the cost
 * is one extra node start (well under a second) on the first boot only.
 */
export async function initDataDirOutOfProcess(dir: string): Promise<void> {
  // PG_VERSION is what PGlite itself checks to decide whether to run initdb.
  if (existsSync(join(dir, 'PG_VERSION'))) return;
  const script = `
    const { PGlite } = require(process.argv[1]);
    PGlite.create(process.argv[2]).then((db) => db.close()).then(
      () => process.exit(0),
      (err) => { process.stderr.write(String(err && err.message || err)); process.exit(1); },
    );`;
  await new Promise<void>((resolve, reject) => {
    execFile(process.execPath, ['-e', script, require.resolve('@electric-sql/pglite'), dir], { timeout: 120_000 }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`PGlite initdb of ${dir} failed: ${stderr.slice(0, 500) || err.message}`));
      else resolve();
    });
  });
}
