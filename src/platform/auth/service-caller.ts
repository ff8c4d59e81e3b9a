import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../http/app-env.ts';
import { ProblemError } from '../http/problem.ts';
import { requestHeader } from '../http/request-header.ts';
import type { Principal } from './access-token.ts';
import { bearerToken } from './authenticate.ts';
import {
  decodeForwardedUser,
  encodeForwardedUser,
  FORWARDED_USER_HEADER,
} from './forwarded-user.ts';
import { type KeySourceOptions, type PublicKeySource, publicKeySource } from './key-source.ts';
import { checkServiceToken, type ServiceTokenSource } from './service-tokens.ts';

/** A stable machine code in the problem's `type`, as services answer (see DESIGN.md). */
const errorType = (code: string) => `https://commerce.example/errors/${code}`;

/** What a service serves to anyone: health, metrics, its docs, key sets, its index. */
export function isOpenServicePath(method: string, path: string): boolean {
  return (
    path.startsWith('/health/') ||
    path === '/metrics' ||
    path === '/openapi.json' ||
    path === '/docs' ||
    path.startsWith('/docs/') ||
    path.startsWith('/.well-known/') ||
    (path === '/' && (method === 'GET' || method === 'HEAD'))
  );
}

export interface ServiceCallerOptions {
  /** This service's name: the audience its callers' tokens must name. */
  audience: string;
  /** Each component allowed to call, and where its public service keys come from. */
  trustedCallers: Record<string, string | URL | KeySourceOptions | PublicKeySource>;
}

function keySourceOf(source: ServiceCallerOptions['trustedCallers'][string]): PublicKeySource {
  if (typeof source === 'string' || source instanceof URL) return publicKeySource({ url: source });
  return 'getKey' in source ? source : publicKeySource(source);
}

/**
 * A service's edge: every call but the open paths carries a service token of a trusted caller
 * for this service. 401 without a valid one (missing, forged, expired, unknown issuer, a
 * user's token), 403 for a valid token meant for another service. Sets `c.var.caller`, and,
 * only then, the end user the caller forwards (`X-Forwarded-User`) as `c.var.user`.
 */
export function requireServiceCaller({ audience, trustedCallers }: ServiceCallerOptions) {
  const callers = new Map(
    Object.entries(trustedCallers).map(([name, source]) => [name, keySourceOf(source)]),
  );
  // RFC 6750: a call with no credentials gets the challenge alone, a bad token its error too.
  const refuse = (detail: string, error?: 'invalid_token') =>
    new ProblemError(401, detail, {
      type: errorType('service-credentials-invalid'),
      headers: {
        'WWW-Authenticate': `Bearer realm="${audience}"${error ? `, error="${error}"` : ''}`,
      },
    });

  return createMiddleware<AppEnv>(async (c, next) => {
    if (isOpenServicePath(c.req.method, c.req.path)) return next();
    const token = bearerToken(requestHeader(c, 'authorization'));
    if (!token) {
      throw refuse('This service takes calls with a service token only.');
    }
    const check = await checkServiceToken(token, { audience, trustedCallers: callers });
    if (!check.ok) {
      c.var.logger?.info({ reason: check.reason }, 'service token refused');
      if (check.status === 403) {
        throw new ProblemError(403, `The service token is not for ${audience}.`, {
          type: errorType('service-audience-mismatch'),
        });
      }
      if (check.status === 503) {
        throw new ProblemError(503, "The caller's keys could not be fetched.", {
          headers: { 'Retry-After': '5' },
        });
      }
      throw refuse(
        'The service token is forged, expired or not from a trusted caller.',
        'invalid_token',
      );
    }
    c.set('caller', check.caller);
    const forwarded = requestHeader(c, FORWARDED_USER_HEADER);
    if (forwarded !== undefined) {
      const user = decodeForwardedUser(forwarded);
      if (!user) {
        throw new ProblemError(400, `${FORWARDED_USER_HEADER} is not a valid principal.`, {
          type: errorType('forwarded-user-invalid'),
          errors: [{ path: `header.${FORWARDED_USER_HEADER}`, message: 'not a principal' }],
        });
      }
      c.set('user', user);
    }
    await next();
  });
}

/**
 * The headers a call to `audience` carries: this component's service token and, when it acts
 * for one, the end user.
 */
export async function serviceCallHeaders(
  tokens: ServiceTokenSource,
  audience: string,
  user?: Principal,
): Promise<Record<string, string>> {
  return {
    Authorization: `Bearer ${await tokens.tokenFor(audience)}`,
    ...(user && { [FORWARDED_USER_HEADER]: encodeForwardedUser(user) }),
  };
}
