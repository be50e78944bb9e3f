import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { schema } from './schema';
import { MIGRATIONS_FOLDER } from './migrations-folder';
import { Store, type Db } from './store';
import { lockDir } from '../util/dir-lock';

export interface PgliteStoreOptions {
  /** The `DATA_DIR` lock could not be kept (see `src/util/dir-lock.ts`): the process must stop writing. */
  onLockLost?: (err: Error) => void;
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
  if (dataDir.startsWith('memory://')) {
    const client = await PGlite.create();
    return migrated(client, () => client.close());
  }
  const lock = await lockDir(dataDir, 'gateway', { what: 'gateway', label: 'DATA_DIR', ...(opts.onLockLost ? { onLost: opts.onLockLost } : {}) });
  try {
    const dir = resolve(dataDir, 'pglite');
    mkdirSync(dir, { recursive: true });
    const client = await PGlite.create(dir);
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
  const db = drizzle(client, { schema });
  await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
  return new Store(db as unknown as Db, close, 'pglite');
}
