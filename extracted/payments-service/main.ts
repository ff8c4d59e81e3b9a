import { runMain } from '../../src/platform/component/run-main.ts';
import { loadPaymentsServiceConfig, startPaymentsService } from './index.ts';

// `npm run start:payments`: payments-service alone, on its own database.
await runMain({
  name: 'commerce',
  component: 'payments-service',
  loadConfig: () => loadPaymentsServiceConfig(),
  async start(config, logger) {
    const service = await startPaymentsService(config, logger);
    return {
      stop: service.stop,
      ready: { url: service.url, database: service.database.kind },
      banner: [`  payments-service  ${service.url}  (docs ${service.url}/docs)`],
    };
  },
});
