import { createCatalogModule } from '../modules/catalog/index.ts';
import { loadMonolithConfig } from '../monolith-config.ts';
import { withOfflineModuleContext } from './offline-context.ts';

// `npm run db:seed`: migrates, then adds demo data to every module that is still empty.
const location = await withOfflineModuleContext(
  loadMonolithConfig(),
  'seed',
  async (context, database) => {
    await createCatalogModule(context).seed?.();
    return database.location;
  },
);
process.stdout.write(`demo data in place in ${location}\n`);
