import { createCatalogModule } from '../modules/catalog/index.ts';
import { createEventBus } from '../platform/bus/event-bus.ts';
import { loadConfig } from '../platform/config.ts';
import { openDatabase } from '../platform/db/database.ts';
import { MONOLITH_MIGRATIONS } from '../platform/db/migrate.ts';
import { createLogger } from '../platform/logger.ts';
import type { ModuleContext } from '../platform/module.ts';

// `npm run db:seed`: migrates, then adds demo data to every module that is still empty.
// The bus is never started: publishing only writes to the outbox, which the monolith relays.
const config = loadConfig();
const logger = createLogger({ level: config.LOG_LEVEL, name: 'seed' });
const database = await openDatabase({
  url: config.DATABASE_URL,
  dataDir: config.DATA_DIR,
  name: 'monolith',
});
try {
  await database.migrate(MONOLITH_MIGRATIONS);
  const events = createEventBus({
    db: database.db,
    logger,
    maxAttempts: config.EVENT_MAX_ATTEMPTS,
    retryBaseMs: config.EVENT_RETRY_BASE_MS,
  });
  const context: ModuleContext = { config, db: database.db, events, logger };
  await createCatalogModule(context).seed?.();
} finally {
  await database.close();
}
process.stdout.write(`demo data in place in ${database.location}\n`);
