import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { schema } from './schema';
import { MIGRATIONS_FOLDER } from './migrations-folder';
import { Store, type Db } from './store';

/**
 * Embedded adapter: PostgreSQL compiled to WASM, in-process, with its files
 * under `dataDir` (or in memory when `dataDir` is `memory://`). One process
 * owns a data dir at a time — PGlite is single-connection by design.
 */
export async function openPgliteStore(dataDir: string): Promise<Store> {
  let client: PGlite;
  if (dataDir.startsWith('memory://')) {
    client = await PGlite.create();
  } else {
    const dir = resolve(dataDir, 'pglite');
    mkdirSync(dir, { recursive: true });
    client = await PGlite.create(dir);
  }
  const db = drizzle(client, { schema });
  await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
  return new Store(db as unknown as Db, () => client.close(), 'pglite');
}
