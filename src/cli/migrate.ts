import { openMonolithDatabase } from '../monolith.ts';
import { loadConfig } from '../platform/config.ts';

// `npm run db:migrate`: applies the monolith's migrations to DATABASE_URL (or the PGlite store).
const database = await openMonolithDatabase(loadConfig());
await database.close();
process.stdout.write(`migrations applied to ${database.location}\n`);
