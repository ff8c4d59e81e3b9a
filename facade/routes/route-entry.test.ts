import { describe, expect, it } from 'vitest';
import { type RouteEntryInput, routeEntrySchema, routeTableSchema } from './route-entry.ts';
import { routeTable } from './route-table.ts';
import { translatorNames } from './translators.ts';

const capture: RouteEntryInput = {
  id: 'payments.write.capture',
  methods: ['POST'],
  path: '/api/payments',
  new: { target: 'payments-service', translator: 'payments.capture' },
};

const issuesOf = (input: unknown) =>
  routeEntrySchema.safeParse(input).error?.issues.map((i) => i.path.join('.')) ?? [];

describe('a route entry', () => {
  it('takes the defaults: monolith at 0 %, fallback and retries on, parity 0.99 over 100', () => {
    expect(routeEntrySchema.parse(capture)).toEqual({
      ...capture,
      legacy: 'monolith',
      mode: 'monolith',
      percentage: 0,
      fallback: {
        toLegacy: true,
        on: ['connect-error', 'timeout', 'circuit-open'],
        writes: 'with-idempotency-key',
      },
      timeoutMs: 5000,
      retry: { maxAttempts: 2, baseDelayMs: 25, maxDelayMs: 250, writes: 'with-idempotency-key' },
      mirror: 'never',
      parity: { threshold: 0.99, minSamples: 100 },
    });
  });

  it('mirrors a read as it is by default', () => {
    const read = { id: 'payments.read.list', methods: ['GET'], path: '/api/payments' };
    expect(routeEntrySchema.parse(read).mirror).toBe('as-is');
  });

  it.each([
    ['an id not <capability>.<read|write>.<what>', { ...capture, id: 'payments.capture' }, 'id'],
    ['a read with a write method', { ...capture, id: 'payments.read.capture' }, 'methods'],
    ['a write with GET', { ...capture, methods: ['GET'] }, 'methods'],
    ['no method', { ...capture, methods: [] }, 'methods'],
    ['an unknown method', { ...capture, methods: ['TRACE'] }, 'methods.0'],
    ['a path not a pattern', { ...capture, path: 'api/payments' }, 'path'],
    ['a parameter named twice', { ...capture, path: '/a/{id}/b/{id}' }, 'path'],
    ['another legacy target', { ...capture, legacy: 'elsewhere' }, 'legacy'],
    [
      'an unknown translator',
      { ...capture, new: { target: 'payments-service', translator: 'x' } },
      'new.translator',
    ],
    [
      "another service's translator",
      { ...capture, new: { target: 'users-service', translator: 'payments.capture' } },
      'new',
    ],
    ['a new mode without a new side', { ...capture, new: undefined, mode: 'shadow' }, 'mode'],
    ['an unknown mode', { ...capture, mode: 'half' }, 'mode'],
    ['a percentage over 100', { ...capture, percentage: 101 }, 'percentage'],
    ['a percentage finer than 0.01', { ...capture, percentage: 0.001 }, 'percentage'],
    ['a threshold over 1', { ...capture, parity: { threshold: 99 } }, 'parity.threshold'],
    ['no minimum samples', { ...capture, parity: { minSamples: 0 } }, 'parity.minSamples'],
    [
      'a backoff longer at the start than at most',
      { ...capture, retry: { baseDelayMs: 500, maxDelayMs: 100 } },
      'retry.maxDelayMs',
    ],
    ['a write mirrored as it is', { ...capture, mirror: 'as-is' }, 'mirror'],
    ['a dry-run without a new side', { ...capture, new: undefined, mirror: 'dry-run' }, 'mirror'],
    ['an unknown field', { ...capture, weight: 3 }, ''],
  ])('refuses %s', (_, input, path) => {
    expect(issuesOf(input)).toEqual([path]);
  });
});

describe('the route table', () => {
  it('refuses one id twice and one method on two entries of one path shape', () => {
    const other = { ...capture, id: 'payments.write.other', path: '/api/payments' };
    expect(
      routeTableSchema.safeParse([capture, capture]).error?.issues.map((i) => i.message),
    ).toEqual([
      'route id payments.write.capture twice',
      'POST /api/payments is also payments.write.capture',
    ]);
    expect(routeTableSchema.safeParse([capture, other]).success).toBe(false);
    const byId = { id: 'x.read.a', methods: ['GET'], path: '/x/{a}' };
    const byName = { id: 'x.read.b', methods: ['GET'], path: '/x/{b}' };
    expect(routeTableSchema.safeParse([byId, byName]).success).toBe(false);
  });

  it('gives users and payments their new side, everything else none, all in monolith at 0 %', () => {
    const withNew = routeTable.filter((e) => e.new !== undefined);
    expect(withNew.map((e) => [e.id, e.new?.target, e.new?.translator])).toEqual([
      ['users.write.register', 'users-service', 'users.register'],
      ['users.write.login', 'users-service', 'users.login'],
      ['users.read.me', 'users-service', 'users.get-me'],
      ['users.write.me', 'users-service', 'users.update-me'],
      ['users.read.by-id', 'users-service', 'users.get-user'],
      ['payments.write.capture', 'payments-service', 'payments.capture'],
      ['payments.read.list', 'payments-service', 'payments.list'],
      ['payments.read.by-id', 'payments-service', 'payments.get'],
      ['payments.write.refund', 'payments-service', 'payments.refund'],
    ]);
    expect(routeTable.filter((e) => e.mode !== 'monolith' || e.percentage !== 0)).toEqual([]);
    expect(routeTable.filter((e) => e.legacy !== 'monolith')).toEqual([]);
  });

  it('mirrors writes only where a dry run makes it safe: the payment capture', () => {
    expect(routeTable.filter((e) => e.mirror === 'dry-run').map((e) => e.id)).toEqual([
      'payments.write.capture',
    ]);
    expect(routeTable.filter((e) => e.id.includes('.write.') && e.mirror === 'as-is')).toEqual([]);
  });

  it('uses every translator the ACL offers', () => {
    expect(new Set(routeTable.flatMap((e) => (e.new ? [e.new.translator] : [])))).toEqual(
      new Set(translatorNames),
    );
  });
});
