import { DEMO_ACCOUNTS } from './modules/users/index.ts';
import { startMonolith } from './monolith.ts';
import { loadMonolithConfig } from './monolith-config.ts';
import { runMain } from './platform/component/run-main.ts';

// Entry point: validates the environment, starts the monolith and stops it cleanly on a signal.
await runMain({
  name: 'commerce',
  component: 'monolith',
  loadConfig: () => loadMonolithConfig(),
  async start(config, logger) {
    const monolith = await startMonolith(config, logger);
    return {
      stop: monolith.stop,
      ready: {
        database: monolith.database.kind,
        location: monolith.database.location,
        eventDelivery: config.REDIS_URL ? 'bullmq' : 'in-process',
        url: monolith.url,
      },
      banner: [
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
      ],
    };
  },
});
