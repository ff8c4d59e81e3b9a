import { z } from 'zod';
import { openDatabase } from '../../src/platform/db/database.ts';
import { FACADE_MIGRATIONS } from '../database.ts';
import { recordVerifyReport, type VerifyResult } from '../gate/verify-source.ts';
import type { VerifyReport } from './verify.ts';

// extract:verify leaves its outcome where the facade's parity gate reads it: the facade's own
// database, when FACADE_DATABASE_URL names it (compose). Without it (the single-process run)
// the facade runs verify itself when its gate asks.

const facadeDatabaseUrlSchema = z.url({ protocol: /^postgres(ql)?$/ }).optional();

/** FACADE_DATABASE_URL, validated; undefined when it is not set. */
export const facadeDatabaseUrl = (env: Record<string, string | undefined> = process.env) =>
  facadeDatabaseUrlSchema.parse(env.FACADE_DATABASE_URL || undefined);

/** Records a report in the facade's database (migrated first: the facade may not have run yet). */
export async function recordVerifyInFacade(
  url: string,
  report: VerifyReport,
): Promise<VerifyResult> {
  const facade = await openDatabase({ url, dataDir: '', name: 'facade', poolSize: 1 });
  try {
    await facade.migrate(FACADE_MIGRATIONS);
    return await recordVerifyReport(facade.db, report);
  } finally {
    await facade.close();
  }
}
