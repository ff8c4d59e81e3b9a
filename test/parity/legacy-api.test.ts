import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FieldError,
  ProblemError,
  validationProblem,
} from '../../src/platform/http/problem.ts';
import { eventually } from '../support/services.ts';
import { type Answer, Normaliser, type RequestOptions, send } from './answers.ts';
import { type ParityTarget, startMonolithTarget, startServicesTarget } from './targets.ts';

// The parity suite: one black-box suite of the legacy users and payments API, as a client
// sees it, run against the monolith's legacy routes and against users-service and
// payments-service behind the routing facade, its routes retired to the new side (its ACL).
// Every answer is compared, normalised, with ONE expectation for both runs, so any difference
// between the two sides fails.

const json = 'application/json';
const problemJson = 'application/problem+json';
const challenge = { 'www-authenticate': 'Bearer' };
/** Sign-in answers carry a credential, or say why not: no cache keeps either. */
const noStore = { 'cache-control': 'no-store' };

/** An expected success. */
const ok = (status: number, body: unknown, headers: Record<string, string> = {}) => ({
  status,
  contentType: json,
  headers,
  body,
});

/** An expected problem, as the legacy API words it. */
const problem = (
  status: ProblemError['status'],
  instance: string,
  detail: string,
  { errors, headers = {} }: { errors?: FieldError[]; headers?: Record<string, string> } = {},
) => ({
  status,
  contentType: problemJson,
  headers,
  body: { ...new ProblemError(status, detail, errors ? { errors } : {}).problem, instance },
});

const invalid = (instance: string, target: string, errors: FieldError[]) => ({
  status: 400,
  contentType: problemJson,
  headers: {},
  body: { ...validationProblem(target, errors), instance },
});

const unauthenticated = (instance: string) =>
  problem(401, instance, 'Sign in first: send a bearer access token.', { headers: challenge });
const badToken = (instance: string) =>
  problem(401, instance, 'The access token is missing, malformed, forged, expired or revoked.', {
    headers: challenge,
  });

const missing = 'Invalid input: expected string, received undefined';

const eur = (amountMinor: number) => ({ amountMinor, currency: 'EUR' });

describe.each([
  { name: 'the monolith', start: startMonolithTarget },
  { name: 'the services through the facade', start: startServicesTarget },
])('the legacy users and payments API, served by $name', ({ start }) => {
  let target: ParityTarget;
  const names = new Normaliser();
  const call = (method: string, path: string, options?: RequestOptions) =>
    send(target.baseUrl, method, path, options);
  /** The answer must be `expected` once normalised. */
  const expectAnswer = (answer: Answer, expected: ReturnType<typeof ok>) =>
    expect(names.answer(answer)).toEqual(expected);

  const user = (
    name: string,
    {
      roles = ['customer'],
      displayName = null,
    }: { roles?: string[]; displayName?: string | null } = {},
  ) => ({
    id: `<${name}>`,
    username: name,
    email: `${name}@example.com`,
    roles,
    createdAt: '<time>',
    displayName,
    updatedAt: '<time>',
  });

  interface SignedIn {
    id: string;
    token: string;
  }
  let admin: SignedIn;
  let alice: SignedIn;
  let bob: SignedIn;

  async function register(name: string, password = `${name}-password`): Promise<SignedIn> {
    const created = await call('POST', '/api/users', {
      body: { username: name, email: `${name}@example.com`, password },
    });
    expect(created.status).toBe(201);
    const id = names.name((created.body as { id: string }).id, name);
    return { id, token: await signIn(name, password) };
  }

  async function signIn(login: string, password: string): Promise<string> {
    const answer = await call('POST', '/api/auth/login', { body: { login, password } });
    expect(answer.status).toBe(200);
    return (answer.body as { accessToken: string }).accessToken;
  }

  /** An order the legacy API lets an admin capture for: made up, and named. */
  const order = (name: string) => names.name(randomUUID(), name);

  async function capture(orderId: string, amountMinor = 2500, cardToken = 'tok_visa') {
    const answer = await call('POST', '/api/payments', {
      token: admin.token,
      body: { orderId, amount: eur(amountMinor), cardToken },
    });
    expect(answer.status).toBe(201);
    return answer.body as { id: string };
  }

  beforeAll(async () => {
    target = await start();
    await target.createAdmin({
      username: 'admin',
      email: 'admin@example.com',
      password: 'admin-password',
    });
    admin = { id: '', token: await signIn('admin', 'admin-password') };
    const me = await call('GET', '/api/users/me', { token: admin.token });
    admin.id = names.name((me.body as { id: string }).id, 'admin');
    alice = await register('alice');
    bob = await register('bob');
  }, 60_000);
  afterAll(async () => {
    await target?.stop();
  });

  describe('sign-up', () => {
    it('creates a customer and says where it lives', async () => {
      const answer = await call('POST', '/api/users', {
        body: {
          username: 'carol',
          email: 'carol@example.com',
          password: 'carol-password',
          displayName: 'Carol',
        },
      });
      names.name((answer.body as { id: string }).id, 'carol');
      expectAnswer(
        answer,
        ok(201, user('carol', { displayName: 'Carol' }), { location: '/api/users/<carol>' }),
      );
    });

    it('refuses an invalid sign-up with the field paths', async () => {
      expectAnswer(
        await call('POST', '/api/users', {
          body: { username: 'x', email: 'not-an-email', password: 'short' },
        }),
        invalid('/api/users', 'json', [
          { path: 'json.username', message: 'Too small: expected string to have >=3 characters' },
          { path: 'json.email', message: 'Invalid email address' },
          { path: 'json.password', message: 'Too small: expected string to have >=8 characters' },
        ]),
      );
    });

    it('refuses a taken username, and a taken email', async () => {
      expectAnswer(
        await call('POST', '/api/users', {
          body: { username: 'alice', email: 'other@example.com', password: 'some-password' },
        }),
        problem(409, '/api/users', 'That username is already taken.', {
          errors: [{ path: 'json.username', message: 'already taken' }],
        }),
      );
      expectAnswer(
        await call('POST', '/api/users', {
          body: { username: 'alice2', email: 'alice@example.com', password: 'some-password' },
        }),
        problem(409, '/api/users', 'That email is already taken.', {
          errors: [{ path: 'json.email', message: 'already taken' }],
        }),
      );
    });

    it('refuses a body that is not JSON', async () => {
      expectAnswer(
        await call('POST', '/api/users', { body: '{"username":' }),
        problem(400, '/api/users', 'Malformed JSON in request body'),
      );
    });
  });

  describe('sign-in', () => {
    it('signs in by username and by email, with an uncacheable token', async () => {
      const expected = ok(
        200,
        { accessToken: '<token>', tokenType: 'Bearer', expiresAt: '<time>', user: user('alice') },
        noStore,
      );
      for (const login of ['alice', 'alice@example.com']) {
        expectAnswer(
          await call('POST', '/api/auth/login', { body: { login, password: 'alice-password' } }),
          expected,
        );
      }
    });

    it('answers a wrong password and an unknown login alike', async () => {
      for (const body of [
        { login: 'alice', password: 'wrong-password' },
        { login: 'nobody', password: 'alice-password' },
      ]) {
        expectAnswer(
          await call('POST', '/api/auth/login', { body }),
          problem(401, '/api/auth/login', 'The login or password is wrong.', { headers: noStore }),
        );
      }
    });

    it('refuses a sign-in without a password', async () => {
      expectAnswer(await call('POST', '/api/auth/login', { body: { login: 'alice' } }), {
        ...invalid('/api/auth/login', 'json', [{ path: 'json.password', message: missing }]),
        headers: noStore,
      });
    });
  });

  describe('your own account', () => {
    it('shows it', async () => {
      expectAnswer(
        await call('GET', '/api/users/me', { token: alice.token }),
        ok(200, user('alice')),
      );
    });

    it('needs a valid token', async () => {
      expectAnswer(await call('GET', '/api/users/me'), unauthenticated('/api/users/me'));
      expectAnswer(
        await call('GET', '/api/users/me', { token: 'not.a.token' }),
        badToken('/api/users/me'),
      );
    });

    it('changes the display name', async () => {
      const dave = await register('dave');
      expectAnswer(
        await call('PATCH', '/api/users/me', { token: dave.token, body: { displayName: 'Dave' } }),
        ok(200, user('dave', { displayName: 'Dave' })),
      );
    });

    it('refuses an empty change, a taken username and a wrong current password', async () => {
      expectAnswer(
        await call('PATCH', '/api/users/me', { token: bob.token, body: { username: 'alice' } }),
        problem(409, '/api/users/me', 'That username is already taken.', {
          errors: [{ path: 'json.username', message: 'already taken' }],
        }),
      );
      expectAnswer(
        await call('PATCH', '/api/users/me', {
          token: bob.token,
          body: { password: 'new-password-1', currentPassword: 'wrong-password' },
        }),
        problem(403, '/api/users/me', 'The current password is wrong.', {
          errors: [{ path: 'json.currentPassword', message: 'does not match' }],
        }),
      );
      expectAnswer(
        await call('PATCH', '/api/users/me', { token: bob.token, body: {} }),
        invalid('/api/users/me', 'json', [
          { path: 'json', message: 'give at least one field to change' },
        ]),
      );
    });

    it('changes the password: the old token is refused once revoked, the new password works', async () => {
      const erin = await register('erin');
      expectAnswer(
        await call('PATCH', '/api/users/me', {
          token: erin.token,
          body: { password: 'erin-new-password', currentPassword: 'erin-password' },
        }),
        ok(200, user('erin')),
      );
      await eventually(async () =>
        expectAnswer(
          await call('GET', '/api/users/me', { token: erin.token }),
          badToken('/api/users/me'),
        ),
      );
      expectAnswer(
        await call('POST', '/api/auth/login', {
          body: { login: 'erin', password: 'erin-password' },
        }),
        problem(401, '/api/auth/login', 'The login or password is wrong.', { headers: noStore }),
      );
      const token = await signIn('erin', 'erin-new-password');
      expectAnswer(await call('GET', '/api/users/me', { token }), ok(200, user('erin')));
    });
  });

  describe('one account', () => {
    it('is shown to its owner and to an admin', async () => {
      for (const token of [alice.token, admin.token]) {
        expectAnswer(
          await call('GET', `/api/users/${alice.id}`, { token }),
          ok(200, user('alice')),
        );
      }
    });

    it('is not found for someone else, nor when there is none', async () => {
      expectAnswer(
        await call('GET', `/api/users/${alice.id}`, { token: bob.token }),
        problem(404, '/api/users/<alice>', 'User <alice> does not exist.'),
      );
      const nobody = names.name(randomUUID(), 'nobody');
      expectAnswer(
        await call('GET', `/api/users/${nobody}`, { token: admin.token }),
        problem(404, '/api/users/<nobody>', 'User <nobody> does not exist.'),
      );
    });

    it('refuses an id that is not one, and an anonymous caller', async () => {
      expectAnswer(
        await call('GET', '/api/users/not-an-id', { token: admin.token }),
        invalid('/api/users/not-an-id', 'param', [{ path: 'param.id', message: 'Invalid UUID' }]),
      );
      expectAnswer(
        await call('GET', `/api/users/${alice.id}`),
        unauthenticated('/api/users/<alice>'),
      );
    });
  });

  const payment = (
    orderName: string,
    customer: string,
    {
      amountMinor = 2500,
      status = 'captured',
      failureReason = null,
      providerReference = 'sbx_ch_<ref>',
      id = `<payment of ${orderName}>`,
    }: {
      amountMinor?: number;
      status?: string;
      failureReason?: string | null;
      providerReference?: string | null;
      id?: string;
    } = {},
  ) => ({
    id,
    orderId: `<${orderName}>`,
    userId: `<${customer}>`,
    amount: eur(amountMinor),
    status,
    failureReason,
    providerReference,
    createdAt: '<time>',
    updatedAt: '<time>',
  });

  describe('capturing a payment', () => {
    it('captures for an admin, once per order', async () => {
      const orderId = order('order 1');
      const body = { orderId, amount: eur(2500), cardToken: 'tok_visa' };
      const first = await call('POST', '/api/payments', { token: admin.token, body });
      names.name((first.body as { id: string }).id, 'payment of order 1');
      expectAnswer(first, ok(201, payment('order 1', 'admin')));
      expectAnswer(
        await call('POST', '/api/payments', { token: admin.token, body }),
        ok(201, payment('order 1', 'admin')),
      );
    });

    it('answers a decline as a payment with status failed', async () => {
      const orderId = order('declined order');
      const answer = await call('POST', '/api/payments', {
        token: admin.token,
        body: { orderId, amount: eur(2500), cardToken: 'tok_decline' },
      });
      names.name((answer.body as { id: string }).id, 'payment of declined order');
      expectAnswer(
        answer,
        ok(
          201,
          payment('declined order', 'admin', {
            status: 'failed',
            failureReason: 'card declined',
            providerReference: null,
          }),
        ),
      );
    });

    it('refuses another payment for a paid order', async () => {
      const orderId = order('order 2');
      await capture(orderId);
      expectAnswer(
        await call('POST', '/api/payments', {
          token: admin.token,
          body: { orderId, amount: eur(9900), cardToken: 'tok_visa' },
        }),
        problem(409, '/api/payments', 'Order <order 2> already has a different payment.'),
      );
    });

    it('answers 503 when the provider is down, recording nothing', async () => {
      const orderId = order('order at an outage');
      expectAnswer(
        await call('POST', '/api/payments', {
          token: admin.token,
          body: { orderId, amount: eur(2500), cardToken: 'tok_error' },
        }),
        problem(
          503,
          '/api/payments',
          'The payment provider is unavailable; nothing was recorded. Try again shortly.',
          { headers: { 'retry-after': '5' } },
        ),
      );
      expectAnswer(
        await call('GET', `/api/payments?orderId=${orderId}`, { token: admin.token }),
        ok(200, { items: [], page: 1, pageSize: 20, total: 0 }),
      );
    });

    it('refuses an invalid capture with the field paths', async () => {
      expectAnswer(
        await call('POST', '/api/payments', {
          token: admin.token,
          body: { orderId: 'not-an-id', amount: { amountMinor: 0, currency: 'euro' } },
        }),
        invalid('/api/payments', 'json', [
          { path: 'json.orderId', message: 'Invalid UUID' },
          {
            path: 'json.amount.currency',
            message: 'must be an ISO 4217 code: three uppercase letters',
          },
          { path: 'json.amount.amountMinor', message: 'must be greater than zero' },
        ]),
      );
    });

    it('is for admins only: a customer gets 403, an anonymous caller 401', async () => {
      const body = { orderId: order('order 3'), amount: eur(2500) };
      expectAnswer(
        await call('POST', '/api/payments', { token: alice.token, body }),
        problem(403, '/api/payments', 'This needs the admin role.'),
      );
      expectAnswer(await call('POST', '/api/payments', { body }), unauthenticated('/api/payments'));
    });
  });

  describe('one payment', () => {
    let alicesPayment: string;
    beforeAll(async () => {
      // Captured by an admin, so booked to the admin: alice sees it only as an admin's.
      alicesPayment = names.name((await capture(order('order 4'))).id, 'payment of order 4');
    });

    it('is shown to an admin', async () => {
      expectAnswer(
        await call('GET', `/api/payments/${alicesPayment}`, { token: admin.token }),
        ok(200, payment('order 4', 'admin')),
      );
    });

    it('is not found for someone else, nor when there is none', async () => {
      expectAnswer(
        await call('GET', `/api/payments/${alicesPayment}`, { token: alice.token }),
        problem(
          404,
          '/api/payments/<payment of order 4>',
          'Payment <payment of order 4> does not exist.',
        ),
      );
      const none = names.name(randomUUID(), 'no payment');
      expectAnswer(
        await call('GET', `/api/payments/${none}`, { token: admin.token }),
        problem(404, '/api/payments/<no payment>', 'Payment <no payment> does not exist.'),
      );
    });

    it('refuses an id that is not one, and an anonymous caller', async () => {
      expectAnswer(
        await call('GET', '/api/payments/not-an-id', { token: admin.token }),
        invalid('/api/payments/not-an-id', 'param', [
          { path: 'param.id', message: 'Invalid UUID' },
        ]),
      );
      expectAnswer(
        await call('GET', `/api/payments/${alicesPayment}`),
        unauthenticated('/api/payments/<payment of order 4>'),
      );
    });
  });

  describe('listing payments', () => {
    let orderId: string;
    beforeAll(async () => {
      orderId = order('listed order');
      names.name((await capture(orderId, 4200)).id, 'payment of listed order');
    });

    it("lists an order's payment for an admin", async () => {
      expectAnswer(
        await call('GET', `/api/payments?orderId=${orderId}`, { token: admin.token }),
        ok(200, {
          items: [payment('listed order', 'admin', { amountMinor: 4200 })],
          page: 1,
          pageSize: 20,
          total: 1,
        }),
      );
    });

    it("shows a customer only their own: none of the admin's", async () => {
      expectAnswer(
        await call('GET', `/api/payments?orderId=${orderId}`, { token: alice.token }),
        ok(200, { items: [], page: 1, pageSize: 20, total: 0 }),
      );
      expectAnswer(
        await call('GET', '/api/payments', { token: alice.token }),
        ok(200, { items: [], page: 1, pageSize: 20, total: 0 }),
      );
    });

    it('pages newest first with page and pageSize', async () => {
      const pageNames = ['paged order a', 'paged order b', 'paged order c'];
      for (const name of pageNames) {
        names.name((await capture(order(name), 1000)).id, `payment of ${name}`);
      }
      // The admin's payments so far, newest first: the three above, then those the tests
      // before captured (order 1, the declined order, order 2, order 4, the listed order).
      const total = 8;
      const pages = [
        [
          payment('paged order c', 'admin', { amountMinor: 1000 }),
          payment('paged order b', 'admin', { amountMinor: 1000 }),
        ],
        [
          payment('paged order a', 'admin', { amountMinor: 1000 }),
          payment('listed order', 'admin', { amountMinor: 4200 }),
        ],
      ];
      for (const [index, items] of pages.entries()) {
        expectAnswer(
          await call('GET', `/api/payments?userId=${admin.id}&page=${index + 1}&pageSize=2`, {
            token: admin.token,
          }),
          ok(200, { items, page: index + 1, pageSize: 2, total }),
        );
      }
    });

    it("refuses a customer asking for another user's payments", async () => {
      expectAnswer(
        await call('GET', `/api/payments?userId=${bob.id}`, { token: alice.token }),
        problem(403, '/api/payments', "Only admins may list other users' payments."),
      );
    });

    it('refuses an invalid query with the field paths, and an anonymous caller', async () => {
      expectAnswer(
        await call('GET', '/api/payments?page=0&pageSize=101&orderId=x', { token: admin.token }),
        invalid('/api/payments', 'query', [
          { path: 'query.page', message: 'Too small: expected number to be >=1' },
          { path: 'query.pageSize', message: 'Too big: expected number to be <=100' },
          { path: 'query.orderId', message: 'Invalid UUID' },
        ]),
      );
      expectAnswer(await call('GET', '/api/payments'), unauthenticated('/api/payments'));
    });
  });

  describe('refunding a payment', () => {
    it('refunds a captured payment once, and answers a repeat with the refunded payment', async () => {
      const id = names.name(
        (await capture(order('refunded order'))).id,
        'payment of refunded order',
      );
      const refunded = ok(200, payment('refunded order', 'admin', { status: 'refunded' }));
      for (let attempt = 0; attempt < 2; attempt++) {
        expectAnswer(
          await call('POST', `/api/payments/${id}/refund`, {
            token: admin.token,
            body: { reason: 'customer cancelled' },
          }),
          refunded,
        );
      }
    });

    it('refuses to refund a declined payment', async () => {
      const answer = await call('POST', '/api/payments', {
        token: admin.token,
        body: { orderId: order('declined refund'), amount: eur(2500), cardToken: 'tok_decline' },
      });
      const id = names.name((answer.body as { id: string }).id, 'declined payment');
      expectAnswer(
        await call('POST', `/api/payments/${id}/refund`, {
          token: admin.token,
          body: { reason: 'customer cancelled' },
        }),
        problem(
          409,
          '/api/payments/<declined payment>/refund',
          'Payment <declined payment> failed, so there is nothing to refund.',
        ),
      );
    });

    it('answers 404 for no such payment, 400 without a reason', async () => {
      const none = names.name(randomUUID(), 'no refundable payment');
      expectAnswer(
        await call('POST', `/api/payments/${none}/refund`, {
          token: admin.token,
          body: { reason: 'customer cancelled' },
        }),
        problem(
          404,
          '/api/payments/<no refundable payment>/refund',
          'Payment <no refundable payment> does not exist.',
        ),
      );
      expectAnswer(
        await call('POST', `/api/payments/${none}/refund`, { token: admin.token, body: {} }),
        invalid('/api/payments/<no refundable payment>/refund', 'json', [
          { path: 'json.reason', message: missing },
        ]),
      );
    });

    it('is for admins only: a customer gets 403, an anonymous caller 401', async () => {
      const id = names.name((await capture(order('kept order'))).id, 'kept payment');
      const body = { reason: 'customer cancelled' };
      expectAnswer(
        await call('POST', `/api/payments/${id}/refund`, { token: alice.token, body }),
        problem(403, '/api/payments/<kept payment>/refund', 'This needs the admin role.'),
      );
      expectAnswer(
        await call('POST', `/api/payments/${id}/refund`, { body }),
        unauthenticated('/api/payments/<kept payment>/refund'),
      );
    });
  });
});
