import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { schema } from './schema';
import { MIGRATIONS_FOLDER } from './migrations-folder';
import { initDataDirOutOfProcess } from './pglite-initdb';
import { installDrizzleParsers } from './pglite-parsers';
import { Store, type Db } from './store';
import { lockDir } from '../util/dir-lock';

export interface PgliteStoreOptions {
  /** `PGLITE_WASM_TIER_UP` (see `src/config.env.ts`). @default false */
  wasmTierUp?: boolean;
  /** `PGLITE_SHARED_BUFFERS`: PostgreSQL's `shared_buffers` inside PGlite. @default '4MB' */
  sharedBuffers?: string;
  /** The `DATA_DIR` lock could not be kept (see `src/util/dir-lock.ts`): the process must stop writing. */
  onLockLost?: (err: Error) => void;
}

/**
 * PGlite's defaults are a desktop PostgreSQL's: `shared_buffers=128MB` alone
 * made an idle gateway ≈370 MiB resident (≈850 MiB on a new data dir, see
 * `openPgliteStore`). PGlite's shared memory lives in the WASM heap and is
 * touched at startup, so every MB of `shared_buffers` is resident for the
 * life of the process (measured: 16 MB → 8 MB → 4 MB took 16 and 5 more MiB
 * off an idle PGlite). This store's working set is small and the OS page
 * cache sits beneath; the 200-creates bench spends the same CPU at 4, 8 and
 * 16 MB within its noise (±3 %).
 * The WASM heap cannot start below 128 MiB (the module's declared minimum);
 * only the pages PostgreSQL touches become resident.
 */
function pgliteOptions(sharedBuffers: string): PGliteOptions {
  return {
    startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${sharedBuffers}`, '-c', 'work_mem=2MB', '-c', 'maintenance_work_mem=16MB', '-c', 'temp_buffers=2MB'],
  };
}

/**
 * Embedded adapter: PostgreSQL compiled to WASM, in-process, with its files
 * under `dataDir` (or in memory when `dataDir` is `memory://`). One process
 * owns a data dir at a time — PGlite is single-connection by design, and two
 * processes writing the same files corrupt them for good — so the dir is
 * locked (`DATA_DIR/gateway.lock`) before PGlite opens it, and a second
 * process is refused with the holder's pid, host and start time.
 */
export async function openPgliteStore(dataDir: string, opts: PgliteStoreOptions = {}): Promise<Store> {
  // Must precede PGlite.create, which compiles the module. V8 keeps TurboFan code for hot functions *beside*
  // their Liftoff code and never drops either: 30–70 MiB of an idle process for PostgreSQL's WASM, for no
  // CPU gain this gateway's benches could see (PGLITE_WASM_TIER_UP in src/config.env.ts has the figures).
  if (!opts.wasmTierUp) setFlagsFromString('--liftoff-only');
  const options = pgliteOptions(opts.sharedBuffers ?? '4MB');
  if (dataDir.startsWith('memory://')) {
    const client = await PGlite.create(options);
    return migrated(client, () => client.close());
  }
  const lock = await lockDir(dataDir, 'gateway', { what: 'gateway', label: 'DATA_DIR', ...(opts.onLockLost ? { onLost: opts.onLockLost } : {}) });
  try {
    const dir = resolve(dataDir, 'pglite');
    mkdirSync(dir, { recursive: true });
    await initDataDirOutOfProcess(dir);
    const client = await PGlite.create(dir, options);
    const close = async () => {
      try {
        await client.close();
      } finally {
        await lock.release();
      }
    };
    return await migrated(client, close).catch(async (err: unknown) => {
      await close().catch(() => undefined);
      throw err;
    });
  } catch (err) {
    await lock.release();
    throw err;
  }
}

async function migrated(client: PGlite, close: () => Promise<void>): Promise<Store> {
  installDrizzleParsers(client);
  const db = drizzle(client, { schema });
  await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
  return new Store(db as unknown as Db, close, 'pglite');
}
