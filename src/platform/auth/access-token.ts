import { sign, verify } from 'hono/jwt';
import { z } from 'zod';

export const roles = ['customer', 'admin'] as const;
export const roleSchema = z.enum(roles);
export type Role = z.infer<typeof roleSchema>;

/** Who is calling, as every module sees it (`c.var.user`). */
export const principalSchema = z.object({
  id: z.uuid(),
  roles: z.array(roleSchema).min(1),
});
export type Principal = z.infer<typeof principalSchema>;

const claimsSchema = z.object({
  sub: z.uuid(),
  roles: z.array(roleSchema).min(1),
  iss: z.string(),
  iat: z.number().int(),
  exp: z.number().int(),
});

export interface AccessTokenSettings {
  secret: string;
  issuer: string;
  ttlSeconds: number;
}

export async function issueAccessToken(
  settings: AccessTokenSettings,
  principal: Principal,
  now = Date.now(),
): Promise<{ token: string; expiresAt: Date }> {
  const iat = Math.floor(now / 1000);
  const exp = iat + settings.ttlSeconds;
  const token = await sign(
    { sub: principal.id, roles: principal.roles, iss: settings.issuer, iat, exp },
    settings.secret,
    'HS256',
  );
  return { token, expiresAt: new Date(exp * 1000) };
}

/**
 * Checks signature, issuer and expiry; the caller cannot tell (and need not care) whether the
 * monolith or an extracted users-service issued the token, as long as both sign alike.
 */
export async function verifyAccessToken(
  settings: Pick<AccessTokenSettings, 'secret' | 'issuer'>,
  token: string,
): Promise<Principal | undefined> {
  try {
    const payload = await verify(token, settings.secret, { alg: 'HS256', iss: settings.issuer });
    const claims = claimsSchema.parse(payload);
    return { id: claims.sub, roles: claims.roles };
  } catch {
    return undefined;
  }
}
