import { openMonolithDatabase } from '../monolith.ts';
import { loadMonolithConfig } from '../monolith-config.ts';

// `npm run db:migrate`: applies the monolith's migrations to DATABASE_URL (or the PGlite store).
const database = await openMonolithDatabase(loadMonolithConfig());
await database.close();
process.stdout.write(`migrations applied to ${database.location}\n`);
