import { ConfigError } from '../../src/platform/config/base-config.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { exitGracefullyOnSignal } from '../../src/platform/shutdown.ts';
import { loadUsersServiceConfig, startUsersService } from './index.ts';

// `npm run start:users`: users-service alone.
let config: ReturnType<typeof loadUsersServiceConfig>;
try {
  config = loadUsersServiceConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
const logger = createLogger({ level: config.LOG_LEVEL, name: 'commerce' }).child({
  component: 'users-service',
});
try {
  const service = await startUsersService(config, logger);
  exitGracefullyOnSignal(service.stop, logger, config.SHUTDOWN_TIMEOUT_MS);
  logger.info({ url: service.url, database: service.database.kind }, 'ready');
} catch (error) {
  logger.fatal({ err: error }, 'start-up failed');
  process.exit(1);
}
