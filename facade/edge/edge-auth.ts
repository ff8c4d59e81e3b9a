import { createMiddleware } from 'hono/factory';
import type { Logger } from 'pino';
import { userTokensRevoked } from '../../src/contracts/users/v1/token-events.ts';
import {
  type AccessTokenVerifier,
  accessTokenVerifier,
  type RevocationList,
} from '../../src/platform/auth/access-token-verifier.ts';
import type { AuthConfig } from '../../src/platform/auth/auth-config.ts';
import { authenticate } from '../../src/platform/auth/authenticate.ts';
import { type PublicKeySource, publicKeySource } from '../../src/platform/auth/key-source.ts';
import { tokenRevocations } from '../../src/platform/auth/token-revocations.ts';
import type { Database } from '../../src/platform/db/database.ts';
import type { AppEnv } from '../../src/platform/http/app-env.ts';
import { ProblemError } from '../../src/platform/http/problem.ts';
import { requestHeader } from '../../src/platform/http/request-header.ts';
import type { Module } from '../../src/platform/module.ts';
import { isPreflight, isPublicRequest } from './public-routes.ts';

export interface EdgeTokenCheck {
  verifier: AccessTokenVerifier;
  /** Add to the facade's modules: it subscribes `facade.token-revocations` and keeps the list. */
  revocations: Module<RevocationList>;
}

export interface EdgeTokenCheckOptions {
  config: AuthConfig;
  db: Database;
  logger: Logger;
  /** Instead of USERS_JWKS_URL's keys (tests; a single process that holds the public keys). */
  keys?: PublicKeySource;
  refreshIntervalMs?: number;
}

/**
 * The facade's token check: the users side's public keys (its JWKS; both users
 * implementations sign with the same keys) and the revocations the users side announces,
 * kept in the facade's own database.
 */
export function edgeTokenCheck({
  config,
  db,
  logger,
  keys,
  refreshIntervalMs,
}: EdgeTokenCheckOptions): EdgeTokenCheck {
  if (keys === undefined && config.USERS_JWKS_URL === undefined) {
    throw new Error('the facade verifies access tokens: set USERS_JWKS_URL');
  }
  const revocations = tokenRevocations({
    component: 'facade',
    db,
    logger,
    event: userTokensRevoked,
    ...(refreshIntervalMs !== undefined && { refreshIntervalMs }),
  });
  const verifier = accessTokenVerifier({
    issuer: config.JWT_ISSUER,
    keys: keys ?? publicKeySource({ url: config.USERS_JWKS_URL }),
    revocations: revocations.api,
  });
  return { verifier, revocations };
}

/**
 * The facade's `authenticate`: a present token must be valid on every route (401 otherwise,
 * 503 when the keys cannot be fetched), and sets `c.var.user`; a request without one passes
 * only on a public route or as a CORS preflight, else 401 with the Bearer challenge.
 */
export function edgeAuth(verifier: AccessTokenVerifier) {
  const verify = authenticate(verifier);
  return createMiddleware<AppEnv>((c, next) =>
    verify(c, async () => {
      if (
        c.get('user') === undefined &&
        !isPublicRequest(c.req.method, c.req.path) &&
        !isPreflight(c.req.method, requestHeader(c, 'access-control-request-method'))
      ) {
        throw new ProblemError(401, 'Sign in first: send a bearer access token.', {
          headers: { 'WWW-Authenticate': 'Bearer' },
        });
      }
      await next();
    }),
  );
}
