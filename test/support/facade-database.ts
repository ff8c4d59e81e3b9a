import { FACADE_MIGRATIONS } from '../../facade/database.ts';
import { type DatabaseHandle, openDatabase } from '../../src/platform/db/database.ts';
import { createTestDatabase } from './services.ts';

/** A fresh PostgreSQL database migrated with the facade's own stream; `cleanup` drops it. */
export async function openFacadeTestDatabase(
  label: string,
): Promise<{ handle: DatabaseHandle; url: string; cleanup(): Promise<void> }> {
  const database = await createTestDatabase(label);
  const handle = await openDatabase({ url: database.url, dataDir: '', name: label });
  await handle.migrate(FACADE_MIGRATIONS);
  return {
    handle,
    url: database.url,
    async cleanup() {
      await handle.close();
      await database.drop();
    },
  };
}
