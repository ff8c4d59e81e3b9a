import { ConfigError } from '../../src/platform/config/base-config.ts';
import { createLogger } from '../../src/platform/logger.ts';
import { exitGracefullyOnSignal } from '../../src/platform/shutdown.ts';
import { StartupError } from '../../src/platform/startup-error.ts';
import {
  loadPaymentsServiceConfig,
  type PaymentsServiceConfig,
  startPaymentsService,
} from './index.ts';

// `npm run start:payments`: payments-service alone, on its own database.
let config: PaymentsServiceConfig;
try {
  config = loadPaymentsServiceConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
const logger = createLogger({ level: config.LOG_LEVEL, name: 'commerce' }).child({
  component: 'payments-service',
});
try {
  const service = await startPaymentsService(config, logger);
  exitGracefullyOnSignal(service.stop, logger, config.SHUTDOWN_TIMEOUT_MS);
  logger.info({ database: service.database.kind, url: service.url }, 'ready');
} catch (error) {
  logger.fatal({ err: error }, 'start-up failed');
  if (error instanceof StartupError) process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
