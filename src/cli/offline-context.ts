import { openMonolithDatabase } from '../monolith.ts';
import type { MonolithConfig } from '../monolith-config.ts';
import { createEventBus } from '../platform/bus/event-bus.ts';
import type { DatabaseHandle } from '../platform/db/database.ts';
import { createLogger } from '../platform/logger.ts';
import type { ModuleContext } from '../platform/module.ts';

/**
 * Runs a command's work on the monolith's migrated database with a module context, then
 * closes it. The bus is never started: what the work publishes only goes to the outbox, and
 * the running monolith relays it.
 */
export async function withOfflineModuleContext<T>(
  config: MonolithConfig,
  name: string,
  work: (context: ModuleContext<MonolithConfig>, database: DatabaseHandle) => Promise<T>,
): Promise<T> {
  const logger = createLogger({ level: config.LOG_LEVEL, name });
  const database = await openMonolithDatabase(config);
  try {
    const events = createEventBus({
      db: database.db,
      logger,
      maxAttempts: config.EVENT_MAX_ATTEMPTS,
      retryBaseMs: config.EVENT_RETRY_BASE_MS,
    });
    return await work({ config, db: database.db, events, logger }, database);
  } finally {
    await database.close();
  }
}
