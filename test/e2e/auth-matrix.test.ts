import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessTokenIssuer } from '../../src/platform/auth/access-token.ts';
import { generatePrivateJwk } from '../../src/platform/auth/jwk.ts';
import { signingKeySet } from '../../src/platform/auth/signing-keys.ts';
import {
  accessClaims,
  hmacToken,
  publicKeyAsSecrets,
  unsignedToken,
} from '../support/forged-tokens.ts';
import { type StateProbe, stateProbe } from './db-fingerprint.ts';
import {
  fetchOpenApi,
  fillPath,
  type Operation,
  openApiPath,
  operationsOf,
} from './openapi-operations.ts';
import {
  type Environment,
  prepareEnvironment,
  type Running,
  runMonolith,
} from './running-monolith.ts';
import { sendRequest } from './send-request.ts';
import { type Order, shop } from './shop.ts';

// Every operation the OpenAPI document marks as secured must refuse a caller without a valid
// token, and a signed-in customer must neither see another customer's things nor reach the
// admin's operations. The list comes from /openapi.json, so a new route is covered as it lands.

// The monolith's users side signs with these (USERS_SIGNING_KEYS), so the test can mint tokens
// it would issue, and tokens one claim or one key away from them.
const usersKey = generatePrivateJwk();
const signingKeys = signingKeySet([usersKey]);
const settings = { issuer: 'commerce', ttlSeconds: 3600 };
const issuer = accessTokenIssuer(signingKeys, settings);
/** Another key under the monolith's kid: only the signature can tell. */
const impostor = accessTokenIssuer(
  signingKeySet([{ ...generatePrivateJwk(), kid: usersKey.kid }]),
  settings,
);
const publicWrites = ['POST /api/auth/login', 'POST /api/users'];
/** Browsing the catalog is the only thing an anonymous caller reads. */
const publicReads = ['GET /api/products', 'GET /api/products/{id}', 'GET /api/products/{id}/stock'];

interface Customer {
  id: string;
  token: string;
  username: string;
}

let environment: Environment;
let running: Running;
let operations: Operation[];
let probe: StateProbe;
let adminToken: string;
let productId: string;
let alice: Customer;
let bob: Customer;
let order: Order;

beforeAll(async () => {
  environment = await prepareEnvironment('postgres+redis', 'auth_matrix');
  running = await runMonolith(environment, {
    USERS_SIGNING_KEYS: JSON.stringify([usersKey]),
    JWT_ISSUER: 'commerce',
  });
  operations = operationsOf(await fetchOpenApi(running.monolith.url));
  probe = await stateProbe(running.monolith.database.db, {
    redis: {
      url: environment.env.REDIS_URL!,
      prefix: environment.env.REDIS_PREFIX!,
      subscribers: running.monolith.parts.modules.flatMap((module) =>
        (module.subscriptions ?? []).map((subscription) => subscription.subscriber),
      ),
    },
  });

  const steps = shop(running.api);
  adminToken = await steps.adminToken();
  productId = await steps.newProduct(adminToken, 2_500, 50);
  alice = await steps.newCustomer();
  bob = await steps.newCustomer();
  const placed = await steps.placeOrder(alice.token, [{ productId, quantity: 1 }]);
  expect(placed.status).toBe(201);
  order = placed.body;
  expect(order.status).toBe('confirmed');
  // The precondition the 403/404 checks below rely on: a paid, confirmed order of alice's.
  expect(order.paymentId).toMatch(/^[0-9a-f-]{36}$/);
});
afterAll(async () => {
  await probe?.close();
  await running?.monolith.stop();
  await environment?.cleanup();
});

/** Real ids where the path names one, so a 401 cannot come from "no such thing". */
function pathValues(op: Operation): Record<string, string> {
  const values: Record<string, string> = {};
  for (const param of op.parameters.filter((p) => p.in === 'path')) {
    const { name } = param;
    if (name === 'productId' || op.path.startsWith('/api/products/')) values[name] = productId;
    else if (name === 'orderId' || op.path.startsWith('/api/orders/')) values[name] = order.id;
    else if (op.path.startsWith('/api/payments/')) values[name] = order.paymentId!;
    else if (op.path.startsWith('/api/users/')) values[name] = alice.id;
    else if (name === 'subscriber') values[name] = 'notifications';
    else values[name] = randomUUID();
  }
  return values;
}

/** A plausible body for the operations a customer must not reach (so only the role refuses). */
const adminBodies: Record<string, unknown> = {
  'POST /api/products': {
    sku: `AUTH-${randomUUID().slice(0, 8)}`,
    name: 'Not yours to sell',
    price: { amountMinor: 100, currency: 'EUR' },
  },
  'PATCH /api/products/{id}': { name: 'Renamed by a customer' },
  'PUT /api/products/{id}/stock': { onHand: 0 },
  'POST /api/payments/{id}/refund': { reason: 'a customer refunds themselves' },
  // The audit's capture: any order id, the largest amount, no card.
  'POST /api/payments': {
    orderId: randomUUID(),
    amount: { amountMinor: 2_147_483_647, currency: 'EUR' },
  },
};

async function call(op: Operation, authorization: string | undefined, body?: unknown) {
  const withBody = op.bodySchema !== undefined;
  const headers: Record<string, string> = {
    ...(withBody && { 'content-type': 'application/json' }),
    ...(authorization !== undefined && { authorization }),
  };
  for (const param of op.parameters.filter((p) => p.in === 'header')) {
    headers[param.name] = randomUUID();
  }
  const reply = await sendRequest(running.monolith.url, {
    method: op.method,
    target: fillPath(op.path, pathValues(op)),
    headers,
    body: withBody ? JSON.stringify(body ?? {}) : undefined,
  });
  return { ...reply, challenge: reply.headers.get('www-authenticate') ?? '' };
}

const secured = () => operations.filter((op) => op.secured);

describe('the OpenAPI document marks what needs a token', () => {
  it('lists secured operations, including the ones a shopper signs in for', () => {
    const labels = secured().map((op) => op.label);
    expect(labels.length).toBeGreaterThan(0);
    expect(labels).toEqual(
      expect.arrayContaining([
        'POST /api/orders',
        'GET /api/users/me',
        'GET /api/cart',
        'GET /api/admin/dashboard',
      ]),
    );
  });

  it('secures everything under /api except sign-up, login and catalog reads, and all of /admin', () => {
    const openWrites = operations
      .filter((op) => op.path.startsWith('/api/') && op.method !== 'GET' && !op.secured)
      .map((op) => op.label)
      .sort();
    expect(openWrites).toEqual(publicWrites);
    const openReads = operations
      .filter((op) => op.path.startsWith('/api/') && op.method === 'GET' && !op.secured)
      .map((op) => op.label)
      .sort();
    expect(openReads).toEqual(publicReads);
    const openAdmin = operations
      .filter((op) => /^\/(api\/)?admin\//.test(op.path) && !op.secured)
      .map((op) => op.label);
    expect(openAdmin).toEqual([]);
  });

  it('documents every route the app serves under /api and /admin (so none escapes the matrix)', () => {
    const documented = new Set(operations.map((op) => op.label));
    const served = new Set(
      running.monolith.app.routes
        .filter((r) => r.method !== 'ALL' && /^\/(api|admin)\//.test(r.path))
        .map((r) => `${r.method} ${openApiPath(r.path)}`),
    );
    expect([...served].filter((label) => !documented.has(label))).toEqual([]);
  });
});

describe('a secured operation answers 401 problem+json to a caller without a valid token', () => {
  const admin = () => ({ id: alice.id, roles: ['admin'] as ['admin'] });
  const bearer = (token: string) => `Bearer ${token}`;
  /** Signed with the monolith's own key, one claim changed. */
  const signedWith = (claims: Record<string, unknown>) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'EdDSA', kid: usersKey.kid })
      .sign(signingKeys.current.privateKey);
  const cases: Array<[string, () => Promise<string | undefined>]> = [
    ['no Authorization header', async () => undefined],
    [
      'an expired token',
      async () => bearer((await issuer.issue(admin(), Date.now() - 2 * 3600_000)).token),
    ],
    [
      "a forged token (another key under the monolith's kid)",
      async () => bearer((await impostor.issue(admin())).token),
    ],
    ['a malformed header (Bearer abc)', async () => 'Bearer abc'],
    [
      'a token from another issuer',
      async () => bearer(await signedWith(accessClaims(alice.id, { issuer: 'somebody-else' }))),
    ],
    [
      'a service token, not an access token',
      async () => bearer(await signedWith({ ...accessClaims(alice.id), token_use: 'service' })),
    ],
    [
      'an unsigned token (alg none)',
      async () => bearer(unsignedToken(accessClaims(alice.id), usersKey.kid)),
    ],
    [
      'a token HS256-signed with the public key as the secret',
      async () => {
        const [, rawKey] = publicKeyAsSecrets(signingKeys.publicJwks()[0]!)[0]!;
        return bearer(await hmacToken(accessClaims(alice.id), rawKey, { kid: usersKey.kid }));
      },
    ],
    [
      'a token HS512-signed with a guessed secret',
      async () =>
        bearer(await hmacToken(accessClaims(alice.id), 'dev-only-jwt-secret', { alg: 'HS512' })),
    ],
    [
      'another scheme (Basic)',
      async () => `Basic ${Buffer.from('admin:admin-password').toString('base64')}`,
    ],
  ];

  it('a fresh token of the same key and issuer is accepted (the cases below are meaningful)', async () => {
    const { token } = await issuer.issue({ id: alice.id, roles: ['customer'] });
    const me = await running.api.get<{ id: string }>('/api/users/me', token);
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(alice.id);
  });

  it.each(cases)('%s', async (_, authorization) => {
    const header = await authorization();
    const before = await probe.settled();
    const failures: string[] = [];
    for (const op of secured()) {
      const reply = await call(op, header);
      const ok =
        reply.status === 401 &&
        reply.contentType.startsWith('application/problem+json') &&
        /bearer/i.test(reply.challenge);
      if (!ok) {
        failures.push(
          `${op.label} → ${reply.status} ${reply.contentType} [${reply.challenge}] ${reply.text.slice(0, 160)}`,
        );
      }
    }
    expect(failures).toEqual([]);
    // A refused call wrote nothing (admin-role forgeries included).
    expect(await probe.fingerprint()).toEqual(before);
  });
});

describe('a token that is sent must be valid, on public operations too', () => {
  it('answers 401 problem+json to a forged token on sign-up, login and catalog reads', async () => {
    const forged = `Bearer ${(await impostor.issue({ id: alice.id, roles: ['admin'] })).token}`;
    const open = operations.filter((op) => !op.secured && op.path.startsWith('/api/'));
    expect(open.map((op) => op.label).sort()).toEqual([...publicReads, ...publicWrites].sort());
    const before = await probe.settled();
    const outcomes = await Promise.all(
      open.map(async (op) => {
        const reply = await call(op, forged);
        return `${op.label} → ${reply.status} ${reply.contentType.split(';')[0]}`;
      }),
    );
    expect(outcomes).toEqual(open.map((op) => `${op.label} → 401 application/problem+json`));
    expect(await probe.fingerprint()).toEqual(before);
  });
});

describe("a customer cannot see or change another customer's things", () => {
  const allowedFor = (label: string) => {
    const op = operations.find((o) => o.label === label);
    if (!op) throw new Error(`${label} is not in the OpenAPI document`);
    return op.responses.includes('403') ? [403, 404] : [404];
  };

  it("answers 404 (or a documented 403) to Bob for Alice's order, payment, shipment and account", async () => {
    const { api } = running;
    const aliceView = async () => ({
      order: (await api.get(`/api/orders/${order.id}`, alice.token)).body,
      history: (await api.get(`/api/orders/${order.id}/history`, alice.token)).body,
      payment: (await api.get(`/api/payments/${order.paymentId}`, alice.token)).body,
      shipment: (await api.get(`/api/shipments/${order.id}`, alice.token)).body,
    });
    const before = await aliceView();
    expect(before.order).toMatchObject({ id: order.id, status: 'confirmed' });
    const state = await probe.settled();

    const attempts: Array<[string, string, string]> = [
      ['GET /api/orders/{id}', 'GET', `/api/orders/${order.id}`],
      ['GET /api/orders/{id}/history', 'GET', `/api/orders/${order.id}/history`],
      ['POST /api/orders/{id}/cancel', 'POST', `/api/orders/${order.id}/cancel`],
      ['GET /api/payments/{id}', 'GET', `/api/payments/${order.paymentId}`],
      ['GET /api/shipments/{orderId}', 'GET', `/api/shipments/${order.id}`],
      ['GET /api/users/{id}', 'GET', `/api/users/${alice.id}`],
    ];
    const aliceFacts = [alice.id, alice.username, order.id, order.paymentId!, order.shipmentId!];
    const outcomes: Record<
      string,
      { status: number; contentType: string | null; leaks: string[] }
    > = {};
    const expected: typeof outcomes = {};
    for (const [label, method, path] of attempts) {
      const reply = await sendRequest(running.monolith.url, {
        method,
        target: path,
        headers: { authorization: `Bearer ${bob.token}` },
        body: undefined,
      });
      const { text } = reply;
      const allowed = allowedFor(label);
      outcomes[label] = {
        status: reply.status,
        contentType: reply.headers.get('content-type'),
        // Echoing the id Bob sent is fine; anything else of Alice's is a leak.
        leaks: aliceFacts.filter((fact) => !path.includes(fact) && text.includes(fact)),
      };
      expected[label] = {
        status: allowed.includes(reply.status) ? reply.status : allowed[0]!,
        contentType: 'application/problem+json',
        leaks: [],
      };
    }
    expect(outcomes).toEqual(expected);

    // Nothing Bob tried changed Alice's order.
    expect(await aliceView()).toEqual(before);
    expect(await probe.fingerprint()).toEqual(state);
  });

  it("refuses Bob a listing of Alice's orders, and his own list does not hold them", async () => {
    const { api } = running;
    const filtered = await api.get(`/api/orders?userId=${alice.id}`, bob.token);
    expect(filtered.status).toBe(403);
    expect(filtered.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const own = await api.get<{ items: Array<{ id: string }> }>('/api/orders', bob.token);
    expect(own.status).toBe(200);
    expect(own.body.items.map((o) => o.id)).not.toContain(order.id);
  });

  it("does not let Bob capture a payment, for Alice's order or any other: 403 alike, nothing written", async () => {
    const { api } = running;
    const capturedSum = async () =>
      (
        await api.get<{ data: { payments: { captured: number; capturedAmounts: unknown[] } } }>(
          '/api/admin/dashboard',
          adminToken,
        )
      ).body.data.payments;
    const sumBefore = await capturedSum();
    const state = await probe.settled();
    const attempts = [
      { orderId: order.id, amount: order.total, cardToken: 'tok_visa' },
      { orderId: randomUUID(), amount: { amountMinor: 2_147_483_647, currency: 'EUR' } },
    ];
    const replies = [];
    for (const body of attempts) {
      const reply = await api.post<Record<string, unknown>>('/api/payments', body, bob.token);
      replies.push({
        status: reply.status,
        contentType: reply.headers.get('content-type'),
        body: reply.body,
      });
    }
    expect(replies[0]).toMatchObject({ status: 403, contentType: 'application/problem+json' });
    // An order with a payment and one without get the same answer: no oracle.
    expect(replies[1]).toEqual(replies[0]);
    expect(await probe.fingerprint()).toEqual(state);
    expect(await capturedSum()).toEqual(sumBefore);
  });

  it('still captures through checkout (the saga keeps its port) for a customer refused the route', async () => {
    const placed = await shop(running.api).placeOrder(bob.token, [{ productId, quantity: 1 }]);
    expect(placed.body).toMatchObject({ status: 'confirmed', paymentId: expect.any(String) });
    const payment = await running.api.get(`/api/payments/${placed.body.paymentId}`, bob.token);
    expect(payment.body).toMatchObject({
      status: 'captured',
      userId: bob.id,
      orderId: placed.body.id,
    });
  });
});

describe('a customer token does not reach admin operations', () => {
  const adminOnly = () =>
    operations.filter(
      (op) =>
        op.secured &&
        (/^\/(api\/)?admin\//.test(op.path) ||
          (op.path.startsWith('/api/products') && op.method !== 'GET') ||
          op.label === 'POST /api/shipments/{orderId}/ship' ||
          op.label === 'POST /api/payments' ||
          op.label === 'POST /api/payments/{id}/refund'),
    );

  it('answers 403 problem+json and changes nothing', async () => {
    const labels = adminOnly().map((op) => op.label);
    expect(labels).toEqual(
      expect.arrayContaining([
        'GET /api/admin/dashboard',
        'GET /admin/events/dead',
        'POST /api/products',
        'PATCH /api/products/{id}',
        'DELETE /api/products/{id}',
        'PUT /api/products/{id}/stock',
        'POST /api/shipments/{orderId}/ship',
        'POST /api/payments',
        'POST /api/payments/{id}/refund',
      ]),
    );
    const before = await probe.settled();
    const failures: string[] = [];
    for (const op of adminOnly()) {
      const reply = await call(op, `Bearer ${alice.token}`, adminBodies[op.label]);
      if (reply.status !== 403 || !reply.contentType.startsWith('application/problem+json')) {
        failures.push(
          `${op.label} → ${reply.status} ${reply.contentType} ${reply.text.slice(0, 160)}`,
        );
      }
    }
    expect(failures).toEqual([]);
    expect(await probe.fingerprint()).toEqual(before);
  });

  it('the same operations let the admin past the role check (the 403 is about the role)', async () => {
    const failures: string[] = [];
    for (const op of adminOnly().filter((o) => o.method === 'GET')) {
      const reply = await call(op, `Bearer ${adminToken}`);
      if (reply.status !== 200) failures.push(`${op.label} → ${reply.status}`);
    }
    expect(failures).toEqual([]);
  });

  it('documents 401 and 403 on every admin-only operation', () => {
    const undocumented = adminOnly()
      .filter((op) => !op.responses.includes('401') || !op.responses.includes('403'))
      .map((op) => `${op.label} (documents ${op.responses.join('/')})`);
    expect(undocumented).toEqual([]);
  });
});
