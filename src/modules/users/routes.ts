import { createRoute, z } from '@hono/zod-openapi';
import { requireUser } from '../../platform/auth/authenticate.ts';
import { eventContextOf } from '../../platform/http/event-context.ts';
import { noStore, noStoreHeaders } from '../../platform/http/no-store.ts';
import {
  authErrors,
  bearerSecurity,
  jsonBody,
  jsonDoc,
  problemDoc,
} from '../../platform/http/route-docs.ts';
import { createRouter } from '../../platform/http/router.ts';
import {
  accessTokenSchema,
  loginSchema,
  registerSchema,
  updateMeSchema,
  userIdSchema,
  userSchema,
} from './contracts.ts';
import { getUserAs, login, register, type UsersDeps, updateMe } from './service.ts';

const tags = ['users'];
const idParams = z.object({ id: userIdSchema.openapi({ param: { name: 'id', in: 'path' } }) });

const registerRoute = createRoute({
  method: 'post',
  path: '/users',
  operationId: 'registerUser',
  tags,
  summary: 'Sign up; every new account is a customer',
  request: { body: jsonBody(registerSchema) },
  responses: {
    201: {
      ...jsonDoc(userSchema, 'Created'),
      headers: z.object({ Location: z.string() }),
    },
    400: problemDoc('Invalid sign-up'),
    409: problemDoc('Username or email already taken'),
  },
});

const loginRoute = createRoute({
  method: 'post',
  path: '/auth/login',
  operationId: 'login',
  tags,
  summary: 'Exchange a username or email and a password for an access token',
  description:
    'The answer carries a credential, so no cache may keep it (`Cache-Control: no-store`).',
  middleware: [noStore()] as const,
  request: { body: jsonBody(loginSchema) },
  responses: {
    200: { ...jsonDoc(accessTokenSchema, 'Signed in'), headers: noStoreHeaders },
    400: problemDoc('Invalid request'),
    401: problemDoc('Wrong login or password (the same answer for both)'),
  },
});

const getMeRoute = createRoute({
  method: 'get',
  path: '/users/me',
  operationId: 'getMyAccount',
  tags,
  summary: "The caller's own account",
  security: bearerSecurity,
  middleware: [requireUser()],
  responses: {
    200: jsonDoc(userSchema, 'Your account'),
    401: authErrors[401],
    404: problemDoc('The account behind the token no longer exists'),
  },
});

const updateMeRoute = createRoute({
  method: 'patch',
  path: '/users/me',
  operationId: 'updateMyAccount',
  tags,
  summary: 'Change your username, email, display name or password',
  description: 'A new password needs `currentPassword`.',
  security: bearerSecurity,
  middleware: [requireUser()],
  request: { body: jsonBody(updateMeSchema) },
  responses: {
    200: jsonDoc(userSchema, 'Updated'),
    400: problemDoc('Invalid or empty change'),
    401: authErrors[401],
    403: problemDoc('The current password is wrong'),
    404: problemDoc('The account behind the token no longer exists'),
    409: problemDoc('Username or email already taken'),
  },
});

const getUserRoute = createRoute({
  method: 'get',
  path: '/users/{id}',
  operationId: 'getUser',
  tags,
  summary: 'One account (yourself, or anyone for an admin)',
  security: bearerSecurity,
  middleware: [requireUser()],
  request: { params: idParams },
  responses: {
    200: jsonDoc(userSchema, 'The account'),
    400: problemDoc('Invalid id'),
    401: authErrors[401],
    404: problemDoc('No such account, or not yours'),
  },
});

export function usersRoutes(deps: UsersDeps) {
  const router = createRouter();

  router.openapi(registerRoute, async (c) => {
    const user = await register(deps, c.req.valid('json'), eventContextOf(c));
    c.header('Location', `${c.req.path}/${user.id}`);
    return c.json(user, 201);
  });

  router.openapi(loginRoute, async (c) => c.json(await login(deps, c.req.valid('json')), 200));

  // Before /users/{id}, so "me" is never read as an id.
  router.openapi(getMeRoute, async (c) => {
    const me = c.var.user!;
    return c.json(await getUserAs(deps.db, me, me.id), 200);
  });

  router.openapi(updateMeRoute, async (c) =>
    c.json(await updateMe(deps, c.var.user!.id, c.req.valid('json'), eventContextOf(c)), 200),
  );

  router.openapi(getUserRoute, async (c) =>
    c.json(await getUserAs(deps.db, c.var.user!, c.req.valid('param').id), 200),
  );

  return router;
}
