import { describe, expect, it } from 'vitest';
import { DEMO_ACCOUNTS as serviceDemoAccounts } from '../../../extracted/users-service/index.ts';
import { DEMO_ACCOUNTS as legacyDemoAccounts } from '../../../src/modules/users/index.ts';

describe('demo accounts', () => {
  it('are the same on both sides, ids included, so the single-process run signs in on either', () => {
    const asLegacy = serviceDemoAccounts.map((account) => ({
      id: account.id,
      username: account.login_name,
      email: account.email_address,
      password: account.password,
      displayName: account.display_name,
      roles: account.roles,
    }));
    expect(asLegacy).toEqual(legacyDemoAccounts);
  });
});
