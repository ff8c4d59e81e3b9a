import { runMain } from '../../src/platform/component/run-main.ts';
import { loadUsersServiceConfig, startUsersService } from './index.ts';

// `npm run start:users`: users-service alone, on its own database.
await runMain({
  name: 'commerce',
  component: 'users-service',
  loadConfig: () => loadUsersServiceConfig(),
  async start(config, logger) {
    const service = await startUsersService(config, logger);
    return {
      stop: service.stop,
      ready: { url: service.url, database: service.database.kind },
      banner: [`  users-service  ${service.url}  (docs ${service.url}/docs)`],
    };
  },
});
