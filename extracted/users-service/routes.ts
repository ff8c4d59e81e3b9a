import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import {
  accountIdSchema,
  accountSchema,
  createAccountSchema,
  createSessionSchema,
  idempotencyKeySchema,
  sessionSchema,
  updateAccountSchema,
} from '../../src/contracts/users/v1/index.ts';
import { requireUser } from '../../src/platform/auth/authenticate.ts';
import type { AppEnv } from '../../src/platform/http/app-env.ts';
import { eventContextOf } from '../../src/platform/http/event-context.ts';
import { idempotency } from '../../src/platform/http/idempotency/middleware.ts';
import { noStore, noStoreHeaders } from '../../src/platform/http/no-store.ts';
import { errorType } from '../../src/platform/http/problem.ts';
import {
  authErrors,
  bearerSecurity,
  jsonBody,
  jsonDoc,
  problemDoc,
} from '../../src/platform/http/route-docs.ts';
import { createRouter } from '../../src/platform/http/router.ts';
import { accountNotFound, assertMayActOnAccount } from './account-access.ts';
import { findAccountRow, toAccount } from './account-records.ts';
import { createAccount } from './create-account.ts';
import { createSession } from './create-session.ts';
import type { AccountsDeps } from './deps.ts';
import { updateAccount } from './update-account.ts';

const tags = ['accounts'];
const idParams = z.object({ id: accountIdSchema.openapi({ param: { name: 'id', in: 'path' } }) });
const errorCodes = (codes: string) => `Problem \`type\` codes: ${codes}.`;

const createAccountRoute = (idempotent: MiddlewareHandler<AppEnv>) =>
  createRoute({
    method: 'post',
    path: '/v1/accounts',
    operationId: 'createAccount',
    tags,
    summary: 'Create an account; every new account is a customer',
    description:
      'The same `Idempotency-Key` with the same body answers the first answer again (`Idempotent-Replayed: true`); with another body, 422 `idempotency-key-reused`.',
    request: {
      headers: z.object({ 'idempotency-key': idempotencyKeySchema.optional() }),
      body: jsonBody(createAccountSchema),
    },
    responses: {
      201: {
        ...jsonDoc(accountSchema, 'Created (or the first answer to this Idempotency-Key)'),
        headers: z.object({
          Location: z.string(),
          'Idempotent-Replayed': z.literal('true').optional(),
        }),
      },
      400: problemDoc(`Invalid body. ${errorCodes('`validation-failed`')}`),
      409: problemDoc(
        `Taken, or the same key still in flight. ${errorCodes('`login-name-taken`, `email-address-taken`, `idempotency-key-in-use`')}`,
      ),
      422: problemDoc(`Key reused with another body. ${errorCodes('`idempotency-key-reused`')}`),
    },
    middleware: [idempotent] as const,
  });

const getAccountRoute = createRoute({
  method: 'get',
  path: '/v1/accounts/{id}',
  operationId: 'getAccount',
  tags,
  summary: 'One account: your own, or any for an admin',
  security: bearerSecurity,
  middleware: [requireUser()],
  request: { params: idParams },
  responses: {
    200: jsonDoc(accountSchema, 'The account'),
    400: problemDoc(`Invalid id. ${errorCodes('`validation-failed`')}`),
    401: authErrors[401],
    404: problemDoc(`No such account, or not yours. ${errorCodes('`account-not-found`')}`),
  },
});

const updateAccountRoute = createRoute({
  method: 'patch',
  path: '/v1/accounts/{id}',
  operationId: 'updateAccount',
  tags,
  summary: 'Change the login name, email address, display name or password',
  description: 'A new `password` needs `current_password`.',
  security: bearerSecurity,
  middleware: [requireUser()],
  request: { params: idParams, body: jsonBody(updateAccountSchema) },
  responses: {
    200: jsonDoc(accountSchema, 'Updated'),
    400: problemDoc(`Invalid or empty change. ${errorCodes('`validation-failed`')}`),
    401: authErrors[401],
    403: problemDoc(`The current password is wrong. ${errorCodes('`current-password-wrong`')}`),
    404: problemDoc(`No such account, or not yours. ${errorCodes('`account-not-found`')}`),
    409: problemDoc(
      `Taken, or the password changed meanwhile. ${errorCodes('`login-name-taken`, `email-address-taken`, `password-changed-meanwhile`')}`,
    ),
  },
});

const createSessionRoute = createRoute({
  method: 'post',
  path: '/v1/sessions',
  operationId: 'createSession',
  tags,
  summary: 'Sign in: a login name or email address and a password for an access token',
  description:
    'The answer carries a credential, so no cache may keep it (`Cache-Control: no-store`).',
  middleware: [noStore()] as const,
  request: { body: jsonBody(createSessionSchema) },
  responses: {
    201: { ...jsonDoc(sessionSchema, 'Signed in'), headers: noStoreHeaders },
    400: problemDoc(`Invalid request. ${errorCodes('`validation-failed`')}`),
    401: problemDoc(
      `Wrong login or password, one answer for both. ${errorCodes('`invalid-credentials`')}`,
    ),
  },
});

export function accountsRoutes(deps: AccountsDeps) {
  const router = createRouter({ validationType: errorType('validation-failed') });

  // Keys are the caller's own: two callers' equal keys never meet. The body holds a password,
  // so its fingerprint is a salted scrypt.
  const idempotent = idempotency({
    store: deps.idempotency,
    scopeOf: (c) => c.var.user?.id ?? 'anonymous',
    validationType: errorType('validation-failed'),
    secretBody: true,
  });
  router.openapi(createAccountRoute(idempotent), async (c) => {
    const account = await createAccount(deps, c.req.valid('json'), eventContextOf(c));
    c.header('Location', `/v1/accounts/${account.id}`);
    return c.json(account, 201);
  });

  router.openapi(getAccountRoute, async (c) => {
    const { id } = c.req.valid('param');
    assertMayActOnAccount(c.var.user!, id);
    const row = await findAccountRow(deps.db, id);
    if (!row) throw accountNotFound(id);
    return c.json(toAccount(row), 200);
  });

  router.openapi(updateAccountRoute, async (c) => {
    const { id } = c.req.valid('param');
    assertMayActOnAccount(c.var.user!, id);
    return c.json(await updateAccount(deps, id, c.req.valid('json'), eventContextOf(c)), 200);
  });

  router.openapi(createSessionRoute, async (c) =>
    c.json(await createSession(deps, c.req.valid('json')), 201),
  );

  return router;
}
