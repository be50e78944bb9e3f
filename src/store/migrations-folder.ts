import { resolve } from 'node:path';

/** The committed drizzle-kit SQL migrations, applied by both adapters at boot. */
export const MIGRATIONS_FOLDER = resolve(__dirname, 'migrations');
