import { accountStatesAfter, replicateAccount } from '../../extracted/users-service/index.ts';
import type { UserChanged } from '../../src/contracts/users/v1/index.ts';
import { type AccountRecord, accountRecordsAfter } from '../../src/modules/users/index.ts';
import { comparedAccount, legacyRecordToState } from '../acl/users-records.ts';
import type { CapabilityExtraction } from './capability.ts';

/**
 * Users: the legacy module's accounts and users-service's, compared in v1's vocabulary. A copy
 * is the upsert users-service applies to a replicated `user.changed` (the same version guard),
 * so the backfill and the events never undo each other.
 */
export const usersExtraction: CapabilityExtraction<AccountRecord, UserChanged> = {
  name: 'users',
  async readLegacy(db, after, limit) {
    const rows = await accountRecordsAfter(db, after, limit);
    return rows.map((row) => ({ key: { createdAt: row.createdAt, id: row.id }, row }));
  },
  async readService(db, after, limit) {
    const rows = await accountStatesAfter(db, after, limit);
    return rows.map((row) => ({
      key: { createdAt: row.account.created_at, id: row.account.id },
      row,
    }));
  },
  copyToService: (db, row) => replicateAccount(db, legacyRecordToState(row)),
  compareLegacy: (row) => comparedAccount(legacyRecordToState(row)),
  compareService: (row) => comparedAccount(row),
};
