import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Problem } from '../../src/platform/http/problem.ts';
import { fingerprintDiff, type StateProbe, stateProbe } from './db-fingerprint.ts';
import type { IdHints } from './json-schema-arbitrary.ts';
import {
  fetchOpenApi,
  type OpenApiDocument,
  type Operation,
  operationsOf,
} from './openapi-operations.ts';
import {
  applyMutation,
  carriesNul,
  draftArbitrary,
  mutationArbitrary,
  preview,
  shapeOf,
  type WireRequest,
} from './request-mutations.ts';
import {
  berlin,
  type Environment,
  prepareEnvironment,
  type Running,
  runMonolith,
} from './running-monolith.ts';
import { sendRequest } from './send-request.ts';
import { shop } from './shop.ts';

// Every operation with a body, path or query parameters gets valid-looking requests built from
// its own JSON schema in /openapi.json, each spoiled one way. Whatever arrives, the API answers
// below 500, every 4xx is problem+json, and a refused request leaves every table as it was.

// BAD_INPUT_RUNS=300 explores deeper (about 2 minutes) when wanted; 25 keeps CI quick.
const runsPerOperation = Number(process.env.BAD_INPUT_RUNS ?? 25);
/** Keeps the file bounded on a slow machine: an operation stops early after this long. */
const timePerOperationMs = Math.max(3_000, runsPerOperation * 100);

let environment: Environment;
let running: Running;
let doc: OpenApiDocument;
let operations: Operation[];
let probe: StateProbe;
const tokens: Record<'admin' | 'customer', string> = { admin: '', customer: '' };
const ids: Record<'product' | 'shopProduct' | 'order' | 'payment' | 'user', string[]> = {
  product: [],
  shopProduct: [],
  order: [],
  payment: [],
  user: [],
};

beforeAll(async () => {
  environment = await prepareEnvironment('postgres+redis', 'bad_input');
  running = await runMonolith(environment);
  doc = await fetchOpenApi(running.monolith.url);
  operations = operationsOf(doc);
  probe = await stateProbe(running.monolith.database.db, {
    redis: {
      url: environment.env.REDIS_URL!,
      prefix: environment.env.REDIS_PREFIX!,
      subscribers: running.monolith.parts.modules.flatMap((module) =>
        (module.subscriptions ?? []).map((subscription) => subscription.subscriber),
      ),
    },
  });

  const { api } = running;
  const steps = shop(api);
  tokens.admin = await steps.adminToken();
  const customer = await steps.newCustomer();
  tokens.customer = customer.token;
  const admin = await api.get<{ id: string }>('/api/users/me', tokens.admin);
  ids.user.push(customer.id, admin.body.id);
  // The catalog's own operations deactivate, restock and delete `product`s; carts and orders
  // use `shopProduct`s nothing else touches, so valid checkouts keep reaching the saga.
  for (const price of [1_500, 3_990]) {
    ids.shopProduct.push(await steps.newProduct(tokens.admin, price, 1_000_000));
  }
  for (const price of [1_000, 2_450]) {
    ids.product.push(await steps.newProduct(tokens.admin, price, 500));
  }
  for (const productId of ids.product) {
    const placed = await steps.placeOrder(tokens.customer, [{ productId, quantity: 1 }]);
    expect(placed.status).toBe(201);
    ids.order.push(placed.body.id);
    if (placed.body.paymentId) ids.payment.push(placed.body.paymentId);
  }
}, 60_000);
afterAll(async () => {
  await probe?.close();
  await running?.monolith.stop();
  await environment?.cleanup();
});

/** Real ids by parameter or property name, so valid-looking requests reach the services. */
function hintsFor(op: Operation): IdHints {
  return (name) => {
    if (name === 'productId') return customerSemantics(op) ? ids.shopProduct : ids.product;
    if (name === 'orderId') return ids.order;
    if (name === 'userId') return ids.user;
    if (name !== 'id') return undefined;
    if (op.path.startsWith('/api/products/')) return ids.product;
    if (op.path.startsWith('/api/orders/')) return ids.order;
    if (op.path.startsWith('/api/payments/')) return ids.payment;
    if (op.path.startsWith('/api/users/')) return ids.user;
    return undefined;
  };
}

/** Cart and orders mean "my cart", "my orders": a customer is the natural caller. */
const customerSemantics = (op: Operation) => /^\/api\/(cart|orders)(\/|$)/.test(op.path);

const fuzzable = (op: Operation) => {
  const shape = shapeOf(op);
  return shape.hasBody || shape.pathParams.length > 0 || shape.queryParams.length > 0;
};

/** Deleting the products the other operations use goes last. */
const runOrder = (op: Operation) => (op.method === 'DELETE' ? 1 : 0);

function describeExchange(request: WireRequest, who: string, status: number, text: string) {
  return [
    `${request.method} ${request.path}${request.query.slice(0, 200)} as ${who}`,
    `mutation: ${request.mutation}`,
    `headers: ${preview(request.headers)}`,
    `body: ${request.body === undefined ? '(none)' : preview(request.body)}`,
    `→ ${status} ${text.slice(0, 300)}`,
  ].join('\n  ');
}

describe('bad input never yields a 5xx, always a problem+json 4xx, and never changes state', () => {
  it(
    'every operation with a body, path or query parameters',
    async () => {
      const targets = operations.filter(fuzzable).sort((a, b) => runOrder(a) - runOrder(b));
      const coverage: Record<string, Record<string, number>> = {};
      const failures: string[] = [];
      let nulRequests = 0;
      // The fingerprint after the last refused request: nothing has moved since, so the next
      // request starts from it without waiting for the database to settle again.
      let known: Record<string, string> | undefined;

      for (const op of targets) {
        const seen: Record<string, number> = {};
        coverage[op.label] = seen;
        const who = customerSemantics(op)
          ? fc.constantFrom('admin' as const, 'customer' as const)
          : fc.constant('admin' as const);
        const property = fc.asyncProperty(
          draftArbitrary(doc, op, hintsFor(op)),
          mutationArbitrary(op),
          who,
          async (draft, mutation, caller) => {
            const request = applyMutation(doc, op, draft, mutation);
            const before = known ?? (await probe.settled());
            known = undefined;
            const response = await sendRequest(running.monolith.url, {
              method: request.method,
              target: `${request.path}${request.query}`,
              headers: { ...request.headers, authorization: `Bearer ${tokens[caller]}` },
              body: request.body,
            }).catch((error: Error) => {
              const cause = error.cause as Error | undefined;
              throw new Error(
                `no response (${cause?.message ?? error.message}):\n  ${describeExchange(request, caller, 0, '')}`,
              );
            });
            const { status, text, contentType } = response;
            seen[status] = (seen[status] ?? 0) + 1;
            const exchange = describeExchange(request, caller, status, text);

            expect(status, `5xx:\n  ${exchange}`).toBeLessThan(500);
            // PostgreSQL cannot store U+0000: wherever it is, the request is refused up front.
            const nul = carriesNul(request);
            nulRequests += nul ? 1 : 0;
            expect(!nul || status === 400, `NUL not refused with 400:\n  ${exchange}`).toBe(true);
            if (status < 400) return;
            expect(contentType, `not problem+json:\n  ${exchange}`).toMatch(
              /^application\/problem\+json/,
            );
            const after = await probe.fingerprint();
            const diff = fingerprintDiff(before, after);
            expect(
              diff,
              `state changed on a ${status}: ${JSON.stringify(diff)}\n  ${exchange}`,
            ).toEqual({});
            known = after;
          },
        );
        try {
          await fc.assert(property, {
            numRuns: runsPerOperation,
            endOnFailure: true,
            interruptAfterTimeLimit: timePerOperationMs,
          });
        } catch (error) {
          known = undefined;
          // fast-check keeps the failing assertion (with the exchange) as the cause.
          const cause = (error as Error).cause as Error | undefined;
          failures.push(`${op.label}: ${(cause ?? (error as Error)).message.slice(0, 2_000)}`);
        }
      }

      console.info(
        'bad-input coverage (status → count):\n' +
          Object.entries(coverage)
            .map(([label, statuses]) => `  ${label}: ${JSON.stringify(statuses)}`)
            .join('\n'),
      );
      expect(failures).toEqual([]);
      expect(nulRequests, 'requests carrying a NUL character').toBeGreaterThan(targets.length);
      // Every operation with input was exercised, with at least a few requests each.
      expect(Object.keys(coverage).sort()).toEqual(targets.map((op) => op.label).sort());
      for (const [label, statuses] of Object.entries(coverage)) {
        const total = Object.values(statuses).reduce((a, b) => a + b, 0);
        expect(total, label).toBeGreaterThanOrEqual(5);
      }
    },
    240_000 + runsPerOperation * 250 * 30,
  );
});

describe('defects the fuzzing found, kept fixed', () => {
  it('POST /api/cart/checkout refused with 409 "cart is empty" creates no cart row', async () => {
    const customer = await shop(running.api).newCustomer();
    const before = await probe.settled();
    const reply = await running.api.post(
      '/api/cart/checkout',
      { shippingAddress: berlin },
      customer.token,
      { 'idempotency-key': randomUUID() },
    );
    expect(reply.status).toBe(409);
    expect(fingerprintDiff(before, await probe.fingerprint())).toEqual({});
  });

  it('a NUL character in any input is a 400 on PostgreSQL, with checkouts in flight', async () => {
    const steps = shop(running.api);
    const items = [{ productId: ids.shopProduct[0]!, quantity: 1 }];
    // Otherwise valid requests of every operation with input, each with a NUL in one string.
    const spoiled = operations.filter(fuzzable).flatMap((op) =>
      fc
        .sample(fc.tuple(draftArbitrary(doc, op, hintsFor(op)), fc.nat(), fc.nat()), {
          numRuns: 4,
          seed: 8,
        })
        .map(([draft, pick, at]) => ({
          op,
          request: applyMutation(doc, op, draft, { kind: 'nulInString', pick, at }),
        })),
    );
    expect(spoiled.filter(({ request }) => !carriesNul(request)).map((s) => s.request)).toEqual([]);
    // The fuzzing may have switched the payment seam (a valid PUT /admin/seams is allowed to);
    // no payments-service runs here, so checkouts go through the legacy module.
    const seam = await running.api.put(
      '/admin/seams/payment-gateway',
      { adapter: 'in-process', reason: 'checkouts in this test capture in-process' },
      tokens.admin,
    );
    expect(seam.status).toBe(200);
    const before = await probe.settled();

    const checkouts = Array.from({ length: 12 }, () => steps.placeOrder(tokens.customer, items));
    // The audit's case: a card token that is only, or partly, a NUL.
    const nulOrders = ['\u0000', 'abc\u0000def', '\u0000\u0000', 'tok_\u0000'].flatMap(
      (cardToken) => [1, 2, 3].map(() => steps.placeOrder(tokens.customer, items, { cardToken })),
    );
    const others = spoiled.map(async ({ op, request }) => {
      const caller = customerSemantics(op) ? 'customer' : 'admin';
      const reply = await sendRequest(running.monolith.url, {
        method: request.method,
        target: `${request.path}${request.query}`,
        headers: { ...request.headers, authorization: `Bearer ${tokens[caller]}` },
        body: request.body,
      });
      return `${reply.status} ${op.label} (${request.mutation})`;
    });

    const placed = await Promise.all(checkouts);
    const refusedOrders = await Promise.all(nulOrders);
    const refused = await Promise.all(others);

    expect(placed.map((reply) => `${reply.status} ${reply.body.status}`)).toEqual(
      placed.map(() => '201 confirmed'),
    );
    expect(
      refusedOrders.map((reply) => ({
        status: reply.status,
        paths: (reply.body as unknown as Problem).errors?.map((error) => error.path),
      })),
    ).toEqual(refusedOrders.map(() => ({ status: 400, paths: ['json.cardToken'] })));
    expect(refused.filter((outcome) => !outcome.startsWith('400 '))).toEqual([]);
    // Only the valid checkouts wrote: one order and one payment each.
    const after = await probe.settled();
    const grew = (table: string) =>
      Number(after[`${table}#rows`]) - Number(before[`${table}#rows`]);
    expect({ orders: grew('orders.orders'), payments: grew('payments.payments') }).toEqual({
      orders: placed.length,
      payments: placed.length,
    });
  });

  it('every documented path answers a method it does not serve with 405 and its Allow', async () => {
    const outcomes: Record<string, string> = {};
    const expected: Record<string, string> = {};
    for (const [path, item] of Object.entries(doc.paths)) {
      const served = Object.keys(item).map((method) => method.toUpperCase());
      const allow = [...served, ...(served.includes('GET') ? ['HEAD'] : [])].sort().join(', ');
      const target = path.replace(/\{[^}]+\}/g, randomUUID());
      for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].filter(
        (m) => !served.includes(m),
      )) {
        // As the admin: the admin area refuses anyone else before it looks at the method.
        const reply = await fetch(`${running.monolith.url}${target}`, {
          method,
          headers: { authorization: `Bearer ${tokens.admin}` },
        });
        const type = reply.headers.get('content-type');
        await reply.text();
        outcomes[`${method} ${path}`] = `${reply.status} ${reply.headers.get('allow')} ${type}`;
        expected[`${method} ${path}`] = `405 ${allow} application/problem+json`;
      }
    }
    expect(Object.keys(expected).length).toBeGreaterThan(40);
    expect(outcomes).toEqual(expected);
  });

  it('after a 413 (body over the limit) the next requests on a keep-alive client still work', async () => {
    const url = running.monolith.url;
    const refused = await sendRequest(url, {
      method: 'POST',
      target: '/api/products',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.admin}` },
      body: JSON.stringify({ padding: 'x'.repeat(1_100_000) }),
    });
    expect(refused.status).toBe(413);
    const outcomes: string[] = [];
    for (let i = 0; i < 3; i++) {
      const list = { method: 'GET', target: '/api/products', headers: {}, body: undefined };
      outcomes.push(
        await sendRequest(url, list).then(
          (r) => `${r.status} ${r.text.length > 0}`,
          (error: Error) =>
            `failed: ${(error.cause as Error | undefined)?.message ?? error.message}`,
        ),
      );
    }
    expect(outcomes).toEqual(['200 true', '200 true', '200 true']);
  });
});
