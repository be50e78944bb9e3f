import { defineConfig } from 'drizzle-kit';

// Migrations are generated once (`npm run db:generate`) and committed; both
// the PGlite and the PostgreSQL adapter apply the same SQL files at boot.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/store/schema.ts',
  out: './src/store/migrations',
});
