import { createRoute, z } from '@hono/zod-openapi';
import type { AppEnv } from '../http/app-env.ts';
import { jsonDoc } from '../http/route-docs.ts';
import { createRouter } from '../http/router.ts';
import type { PublicJwk } from './jwk.ts';

/**
 * How long a client may keep a key set. Publish a new key this long (and the verifiers' cache
 * age) before it starts signing, so every verifier has it by then.
 */
export const JWKS_MAX_AGE_SECONDS = 300;

const publicJwkDoc = z
  .object({
    kty: z.literal('OKP'),
    crv: z.literal('Ed25519'),
    x: z.string().openapi({ description: 'The public key, base64url' }),
    kid: z.string().openapi({ description: 'Key id, as tokens name it in their header' }),
    alg: z.literal('EdDSA').optional(),
    use: z.literal('sig').optional(),
  })
  .openapi('PublicJwk');

const jwksDoc = z.object({ keys: z.array(publicJwkDoc) }).openapi('Jwks');

export interface JwksRouteOptions {
  /** `/.well-known/jwks.json` (users' access tokens) or `/.well-known/service-jwks.json`. */
  path: `/.well-known/${string}`;
  operationId: string;
  summary: string;
  /** The public keys to serve, read on every request (a rotation needs no restart of this). */
  keys(): PublicJwk[];
}

/** A JWKS endpoint: public keys only, cacheable, open to anyone (no credential is checked). */
export function jwksRoutes({ path, operationId, summary, keys }: JwksRouteOptions) {
  const route = createRoute({
    method: 'get',
    path,
    operationId,
    tags: ['operations'],
    summary,
    description: `Public Ed25519 keys (RFC 7517). Cached by clients for up to ${JWKS_MAX_AGE_SECONDS} s.`,
    responses: {
      200: {
        ...jsonDoc(jwksDoc, 'The live public keys'),
        headers: z.object({ 'Cache-Control': z.string() }),
      },
    },
  });
  return createRouter<AppEnv>().openapi(route, (c) =>
    c.json({ keys: keys() }, 200, {
      'Cache-Control': `public, max-age=${JWKS_MAX_AGE_SECONDS}`,
    }),
  );
}
