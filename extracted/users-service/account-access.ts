import type { Principal } from '../../src/platform/auth/access-token.ts';
import { codedProblem } from '../../src/platform/http/problem.ts';

/**
 * Who may read or change an account: the forwarded end user on their own account, an admin on
 * any. Anyone else gets the same 404 as for an account that does not exist, so a stranger
 * cannot tell the two apart. (Sign-up and sign-in are open to any verified caller.)
 */
export function mayActOnAccount(user: Principal, accountId: string): boolean {
  return user.id === accountId || user.roles.includes('admin');
}

export const accountNotFound = (id: string) =>
  codedProblem(404, 'account-not-found', `Account ${id} does not exist.`);

/** 404 `account-not-found` unless `user` may act on the account. */
export function assertMayActOnAccount(user: Principal, accountId: string): void {
  if (!mayActOnAccount(user, accountId)) throw accountNotFound(accountId);
}
