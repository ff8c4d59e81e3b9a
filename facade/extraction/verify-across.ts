import type { Database } from '../../src/platform/db/database.ts';
import { capabilities } from './capabilities.ts';
import { type VerifyReport, verifyCapability } from './verify.ts';

/**
 * extract:verify over databases already open in this process (the single-process run), by
 * component name: the monolith's, and `<capability>-service`'s.
 */
export function verifyAcross(
  database: (component: string) => Database,
): (capability: string) => Promise<VerifyReport> {
  return (capability) => {
    const known = capabilities[capability];
    if (!known) throw new Error(`no capability ${capability} to verify`);
    return verifyCapability({
      extraction: known.extraction,
      legacyDb: database('monolith'),
      serviceDb: database(`${capability}-service`),
    });
  };
}
