import { type Principal, principalSchema } from './access-token.ts';

/**
 * The end user a verified caller acts for: the principal as base64url JSON. A callee reads it
 * only once the caller's service token verified; from anyone else it is never looked at.
 */
export const FORWARDED_USER_HEADER = 'X-Forwarded-User';

export function encodeForwardedUser(user: Principal): string {
  return Buffer.from(JSON.stringify({ id: user.id, roles: user.roles })).toString('base64url');
}

/** The principal in the header, or undefined when it is not one. */
export function decodeForwardedUser(value: string): Principal | undefined {
  try {
    const decoded = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as unknown;
    const result = principalSchema.safeParse(decoded);
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}
