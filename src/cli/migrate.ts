import { loadConfig } from '../platform/config.ts';
import { openDatabase } from '../platform/db/database.ts';
import { MONOLITH_MIGRATIONS } from '../platform/db/migrate.ts';

// `npm run db:migrate`: applies the monolith's migrations to DATABASE_URL (or the PGlite store).
const config = loadConfig();
const database = await openDatabase({
  url: config.DATABASE_URL,
  dataDir: config.DATA_DIR,
  name: 'monolith',
});
await database.migrate(MONOLITH_MIGRATIONS);
await database.close();
process.stdout.write(`migrations applied to ${database.location}\n`);
