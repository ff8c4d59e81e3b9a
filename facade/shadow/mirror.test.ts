import { setImmediate as tick } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/platform/db/database.ts';
import { cannedSides, forwardRequest, jsonAnswer } from '../../test/support/canned-sides.ts';
import { openMigratedTestDatabase } from '../../test/support/services.ts';
import { FACADE_MIGRATIONS } from '../database.ts';
import { createParityRecorder } from '../parity/recorder.ts';
import type { ForwardAnswer, ForwardRequest } from '../proxy/exchange.ts';
import { matchRoute } from '../routes/match.ts';
import { routeTableSchema } from '../routes/route-entry.ts';
import { createMirror, type MirrorOptions } from './mirror.ts';

let facadeDb: Awaited<ReturnType<typeof openMigratedTestDatabase>>;
let db: Database;
beforeAll(async () => {
  facadeDb = await openMigratedTestDatabase('shadow_mirror', FACADE_MIGRATIONS);
  db = facadeDb.handle.db;
});
afterAll(async () => {
  await facadeDb.cleanup();
});

let routes = 0;

/**
 * A route table of its own for each test (a read, a dry-run write, a write without a safe
 * mirror, all in shadow), a mirror over canned sides, and a parity recorder for its counts.
 */
function setup(options: Partial<MirrorOptions> = {}) {
  routes += 1;
  const what = `t${routes}`;
  const newSide = (translator: 'payments.get' | 'payments.capture' | 'payments.refund') => ({
    target: 'payments-service' as const,
    translator,
  });
  const table = routeTableSchema.parse([
    {
      id: `payments.read.${what}`,
      methods: ['GET'],
      path: `/${what}/payments/{id}`,
      new: newSide('payments.get'),
      mode: 'shadow',
    },
    {
      id: `payments.write.${what}-capture`,
      methods: ['POST'],
      path: `/${what}/payments`,
      new: newSide('payments.capture'),
      mode: 'shadow',
      mirror: 'dry-run',
    },
    {
      id: `payments.write.${what}-refund`,
      methods: ['POST'],
      path: `/${what}/payments/{id}/refund`,
      new: newSide('payments.refund'),
      mode: 'shadow',
    },
  ]);
  const canned = cannedSides();
  const parity = createParityRecorder({ db, replicaId: 'mirror', versionOf: () => 1 });
  // Legacy is asked twice only where a test says so.
  const mirror = createMirror({ sides: canned.sides, parity, noiseSampleRate: 0, ...options });
  const job = (request: ForwardRequest, legacy: ForwardAnswer) => {
    const match = matchRoute(table, request.method, request.url);
    if (match === undefined) throw new Error(`no route for ${request.method} ${request.url}`);
    return { match, request, legacy, legacyMs: 3 };
  };
  return {
    canned,
    parity,
    mirror,
    job,
    read: `payments.read.${what}`,
    capture: `payments.write.${what}-capture`,
    refund: `payments.write.${what}-refund`,
    url: (path: string) => `/${what}${path}`,
  };
}

const payment = (fields: Record<string, unknown> = {}) => ({
  id: 'pay_1',
  orderId: 'ord_1',
  status: 'captured',
  amount: 1250,
  currency: 'EUR',
  ...fields,
});

describe('mirroring in shadow', () => {
  it('mirrors a read to the new side off the client path, with its own deadline and signal', async () => {
    const t = setup();
    const url = t.url('/payments/pay_1');
    const answer = jsonAnswer(payment());
    t.canned.answer('new', 'GET', url, answer);
    for (let i = 0; i < 5; i++) {
      // The client is gone already (its signal aborted): the mirror goes on regardless.
      expect(t.mirror.offer(t.job(forwardRequest('GET', url), answer))).toBe(true);
    }
    await t.mirror.drain(5_000);

    const calls = t.canned.calls.filter((call) => call.side === 'new');
    expect(calls).toHaveLength(5);
    for (const call of calls) {
      expect(call.options).toEqual({ mirrored: true, dryRun: false });
      expect(call.abortedAtCall).toBe(false);
      expect(call.match?.entry.id).toBe(t.read);
    }
    expect(await t.parity.figures(t.read)).toEqual({
      samples: 5,
      matchRate: 1,
      mismatches: 0,
      mirrorErrors: 0,
      drops: {},
      noise: [],
      diffs: [],
    });
  });

  it('counts a differing field as a mismatch, with its path, both values and the request', async () => {
    const t = setup();
    const url = t.url('/payments/pay_1');
    t.canned.answer('new', 'GET', url, jsonAnswer(payment({ amount: 1205 })));
    const legacy = jsonAnswer(payment());
    const request = forwardRequest('GET', url);
    expect(t.mirror.offer(t.job(request, legacy))).toBe(true);
    expect(t.mirror.offer(t.job(forwardRequest('GET', url), legacy))).toBe(true);
    await t.mirror.drain(5_000);

    const figures = await t.parity.figures(t.read);
    expect(figures).toMatchObject({ samples: 2, matchRate: 0, mismatches: 2, mirrorErrors: 0 });
    expect(figures.diffs).toHaveLength(2);
    expect(figures.diffs).toContainEqual({
      requestId: request.requestId,
      method: 'GET',
      url,
      at: expect.any(String),
      diffs: [{ path: 'amount', legacy: 1250, new: 1205 }],
    });
  });

  it('learns where legacy disagrees with itself as noise, and then does not count it', async () => {
    // Asked twice only for the second request: the first is compared before any noise is known.
    const draws = [1, 0, 1];
    const t = setup({ concurrency: 1, noiseSampleRate: 0.5, random: () => draws.shift() ?? 1 });
    const url = t.url('/payments/pay_1');
    const at = (second: number) => `2026-03-01T10:00:0${second}.000Z`;
    const legacyAnswer = (second: number) =>
      jsonAnswer(
        payment({
          readAt: at(second),
          items: [
            { sku: 'a', at: at(second) },
            { sku: 'b', at: at(second) },
          ],
        }),
      );
    t.canned.answer('legacy', 'GET', url, legacyAnswer(2));
    t.canned.answer('new', 'GET', url, legacyAnswer(3), legacyAnswer(4), legacyAnswer(5));
    for (const second of [0, 1, 6]) {
      expect(t.mirror.offer(t.job(forwardRequest('GET', url), legacyAnswer(second)))).toBe(true);
    }
    await t.mirror.drain(5_000);

    const legacyCalls = t.canned.calls.filter((call) => call.side === 'legacy');
    expect(legacyCalls).toHaveLength(1);
    expect(legacyCalls[0]?.options).toEqual({ mirrored: true });
    const figures = await t.parity.figures(t.read);
    expect(figures).toMatchObject({ samples: 3, mismatches: 1, noise: ['items[*].at', 'readAt'] });
    expect(figures.diffs[0]?.diffs.map((diff) => diff.path)).toEqual([
      'readAt',
      'items[0].at',
      'items[1].at',
    ]);
  });

  it('counts a new side that is down or too slow as a mirror error, not a mismatch', async () => {
    const t = setup({ timeoutMs: 50 });
    const down = t.url('/payments/pay_down');
    const slow = t.url('/payments/pay_slow');
    t.canned.answer('new', 'GET', down, new Error('connect ECONNREFUSED'));
    t.canned.answer('new', 'GET', slow, 'hang');
    const legacy = jsonAnswer(payment());
    expect(t.mirror.offer(t.job(forwardRequest('GET', down), legacy))).toBe(true);
    expect(t.mirror.offer(t.job(forwardRequest('GET', slow), legacy))).toBe(true);
    // Drained well within its bound: the slow call is ended by the mirror's own timeout.
    await t.mirror.drain(10_000);

    expect(await t.parity.figures(t.read)).toMatchObject({
      samples: 0,
      matchRate: null,
      mismatches: 0,
      mirrorErrors: 2,
    });
    expect(t.canned.calls.every((call) => call.settled)).toBe(true);
  });

  it('answers offer at once while the new side hangs: the mirror is still pending after', async () => {
    const t = setup();
    const url = t.url('/payments/pay_1');
    t.canned.answer('new', 'GET', url, 'hang');
    expect(t.mirror.offer(t.job(forwardRequest('GET', url), jsonAnswer(payment())))).toBe(true);
    await tick();
    expect(t.mirror.state()).toEqual({ queued: 0, inFlight: 1, closed: false });
    expect(t.canned.calls).toHaveLength(1);
    expect(t.canned.calls[0]?.settled).toBe(false);

    await t.mirror.drain(0);
    expect(t.mirror.state()).toEqual({ queued: 0, inFlight: 0, closed: true });
    expect(await t.parity.figures(t.read)).toMatchObject({ samples: 0, mirrorErrors: 1 });
  });

  it('drops and counts what does not fit the queue, at once', async () => {
    const t = setup({ maxQueue: 2, concurrency: 1 });
    const url = t.url('/payments/pay_1');
    t.canned.answer('new', 'GET', url, 'hang');
    const offered = [1, 2, 3, 4].map(() =>
      t.mirror.offer(t.job(forwardRequest('GET', url), jsonAnswer(payment()))),
    );
    expect(offered).toEqual([true, true, false, false]);
    expect(t.mirror.state()).toEqual({ queued: 2, inFlight: 0, closed: false });

    await t.mirror.drain(0);
    expect(await t.parity.figures(t.read)).toMatchObject({
      samples: 0,
      drops: { 'queue-full': 2, closed: 1 },
      mirrorErrors: 1,
    });
  });

  it('drops a request or a legacy answer whose body is over the bound', async () => {
    const t = setup({ maxBodyBytes: 64 });
    const url = t.url('/payments');
    t.canned.answer('new', 'POST', url, jsonAnswer(payment(), 201));
    const big = { orderId: 'ord_1', note: 'x'.repeat(64) };
    const small = { orderId: 'ord_1' };
    expect(
      t.mirror.offer(t.job(forwardRequest('POST', url, big), jsonAnswer({ id: 'p' }, 201))),
    ).toBe(false);
    expect(t.mirror.offer(t.job(forwardRequest('POST', url, small), jsonAnswer(big, 201)))).toBe(
      false,
    );
    await t.mirror.drain(5_000);

    expect(t.canned.calls).toEqual([]);
    expect(await t.parity.figures(t.capture)).toMatchObject({
      samples: 0,
      drops: { 'body-too-large': 2 },
    });
  });

  it('mirrors a write only where the route says how: dry-run yes, otherwise never', async () => {
    const t = setup();
    const capture = t.url('/payments');
    const refund = t.url('/payments/pay_1/refund');
    const captured = jsonAnswer(payment(), 201);
    t.canned.answer('new', 'POST', capture, captured);
    t.canned.answer('new', 'POST', refund, jsonAnswer(payment({ status: 'refunded' })));
    const body = { orderId: 'ord_1', amount: 1250, currency: 'EUR' };
    expect(t.mirror.offer(t.job(forwardRequest('POST', refund, {}), jsonAnswer(payment())))).toBe(
      false,
    );
    expect(t.mirror.offer(t.job(forwardRequest('POST', capture, body), captured))).toBe(true);
    await t.mirror.drain(5_000);

    expect(t.canned.calls).toHaveLength(1);
    expect(t.canned.calls[0]).toMatchObject({
      side: 'new',
      options: { mirrored: true, dryRun: true },
      request: { method: 'POST', url: capture },
    });
    expect(t.canned.calls[0]?.request.body).toEqual(new TextEncoder().encode(JSON.stringify(body)));
    expect(await t.parity.figures(t.capture)).toMatchObject({ samples: 1, matchRate: 1 });
    expect(await t.parity.figures(t.refund)).toMatchObject({
      samples: 0,
      drops: { 'not-mirrored': 1 },
    });
  });

  it('never learns noise from a write, and takes no offer once drained', async () => {
    const t = setup({ noiseSampleRate: 1 });
    const capture = t.url('/payments');
    const captured = jsonAnswer(payment(), 201);
    t.canned.answer('new', 'POST', capture, captured);
    expect(t.mirror.offer(t.job(forwardRequest('POST', capture, {}), captured))).toBe(true);
    await t.mirror.drain(5_000);
    expect(t.mirror.offer(t.job(forwardRequest('POST', capture, {}), captured))).toBe(false);

    expect(t.canned.calls.map((call) => call.side)).toEqual(['new']);
    expect(await t.parity.figures(t.capture)).toMatchObject({ samples: 1, drops: { closed: 1 } });
  });
});
