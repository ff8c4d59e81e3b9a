import { DEMO_ACCOUNTS } from './modules/users/index.ts';
import { startMonolith } from './monolith.ts';
import { loadMonolithConfig, type MonolithConfig } from './monolith-config.ts';
import { ConfigError } from './platform/config/base-config.ts';
import { createLogger } from './platform/logger.ts';
import { exitGracefullyOnSignal } from './platform/shutdown.ts';
import { StartupError } from './platform/startup-error.ts';

// Entry point: validates the environment, starts the monolith and stops it cleanly on a signal.
let config: MonolithConfig;
try {
  config = loadMonolithConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
const logger = createLogger({ level: config.LOG_LEVEL, name: 'commerce' });

try {
  const monolith = await startMonolith(config, logger.child({ component: 'monolith' }));
  exitGracefullyOnSignal(monolith.stop, logger, config.SHUTDOWN_TIMEOUT_MS);
  logger.info(
    {
      // From process start, so module loading counts too.
      startupMs: Math.round(process.uptime() * 1000),
      database: monolith.database.kind,
      location: monolith.database.location,
      eventDelivery: config.REDIS_URL ? 'bullmq' : 'in-process',
      url: monolith.url,
    },
    'ready',
  );
  // Off a terminal stdout is for JSON log lines only; the banner is for a person to read.
  const banner = process.stdout.isTTY ? process.stdout : process.stderr;
  banner.write(
    [
      '',
      `  monolith  ${monolith.url}`,
      `  products  ${monolith.url}/api/products`,
      `  API docs  ${monolith.url}/docs`,
      `  health    ${monolith.url}/health/ready`,
      `  metrics   ${monolith.url}/metrics`,
      ...(config.SEED_DEMO_DATA
        ? [
            '',
            '  demo accounts (POST /api/auth/login with { login, password }):',
            ...DEMO_ACCOUNTS.map(
              (account) =>
                `    ${account.roles.join(',').padEnd(9)} ${account.username} / ${account.password}`,
            ),
          ]
        : []),
      '',
    ].join('\n'),
  );
} catch (error) {
  logger.fatal({ err: error }, 'start-up failed');
  if (error instanceof StartupError) process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
