import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createPaymentRequestSchema,
  type PaymentPage as PaymentPageV1,
  type PaymentV1,
  paymentErrorCodes,
  paymentSchema as paymentV1Schema,
} from '../../src/contracts/payments/v1/index.ts';
import {
  type CapturePaymentBody,
  capturePaymentBodySchema,
  type Payment,
  paymentPageSchema,
  paymentSchema,
  paymentStatuses,
} from '../../src/modules/payments/index.ts';
import { errorType, problemSchema, problemType } from '../../src/platform/http/problem.ts';
import {
  captureBodyToV1,
  captureRequestFromV1,
  captureRequestToV1,
  captureResponseFromV1,
  paymentFromV1,
  paymentStatusFromV1,
  paymentStatusToV1,
  paymentToV1,
  refundBodyToV1,
  refundRequestFromV1,
  refundRequestToV1,
  refundResponseFromV1,
} from './payments.ts';
import { fieldPathFromV1, problemFromV1 } from './payments-errors.ts';
import { continueLegacyPage, type LegacyPageStep, startLegacyPage } from './payments-pagination.ts';

const orderId = '0b8c0b6e-8c1f-4a55-9f0e-1f2a3b4c5d6e';
const userId = '5d0c9a47-1f3e-4b8a-9c2d-7e6f5a4b3c2d';
const paymentId = '6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f';

const legacyPayment: Payment = {
  id: paymentId,
  orderId,
  userId,
  amount: { amountMinor: 1999, currency: 'EUR' },
  status: 'captured',
  failureReason: null,
  providerReference: 'sbx_ch_1',
  createdAt: '2026-01-02T03:04:05.678Z',
  updatedAt: '2026-01-02T03:04:06.000Z',
};
const v1Payment: PaymentV1 = {
  id: paymentId,
  order_ref: orderId,
  customer_ref: userId,
  amount: { amount_minor: 1999, currency: 'EUR' },
  status: 'captured',
  provider_ref: 'sbx_ch_1',
  created_at: '2026-01-02T03:04:05.678Z',
  updated_at: '2026-01-02T03:04:06.000Z',
};

// Arbitraries of valid legacy and v1 values.
const currency = fc.stringMatching(/^[A-Z]{3}$/);
const token = fc.stringMatching(/^[A-Za-z0-9_-]{1,128}$/);
const iso = fc
  .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
  .map((date) => date.toISOString());
const legacyCaptureBody: fc.Arbitrary<CapturePaymentBody> = fc.record(
  {
    orderId: fc.uuid(),
    amount: fc.record({ amountMinor: fc.integer({ min: 1, max: 2_147_483_647 }), currency }),
    cardToken: token,
  },
  { requiredKeys: ['orderId', 'amount'] },
);
const legacyPayments: fc.Arbitrary<Payment> = fc.record({
  id: fc.uuid(),
  orderId: fc.uuid(),
  userId: fc.uuid(),
  amount: fc.record({ amountMinor: fc.integer({ min: 1, max: 2_147_483_647 }), currency }),
  status: fc.constantFrom(...paymentStatuses),
  failureReason: fc.option(fc.string({ minLength: 1 }), { nil: null }),
  providerReference: fc.option(fc.string({ minLength: 1 }), { nil: null }),
  createdAt: iso,
  updatedAt: iso,
});

describe('statuses', () => {
  it.each([
    ['pending', 'authorized'],
    ['captured', 'captured'],
    ['failed', 'declined'],
    ['refunded', 'refunded'],
  ] as const)('legacy %s is v1 %s, both ways', (legacy, v1) => {
    expect(paymentStatusToV1(legacy)).toBe(v1);
    expect(paymentStatusFromV1(v1)).toBe(legacy);
  });
});

describe('a legacy capture as a v1 request', () => {
  it('maps every field, the caller becoming customer_ref', () => {
    const body = { orderId, amount: { amountMinor: 1999, currency: 'EUR' }, cardToken: 'tok_visa' };
    expect(captureRequestToV1(body, { id: userId })).toEqual({
      order_ref: orderId,
      amount: { amount_minor: 1999, currency: 'EUR' },
      source: { type: 'card', token: 'tok_visa' },
      customer_ref: userId,
    });
  });

  it('names the customer default source when the legacy capture has no card token', () => {
    const body = { orderId, amount: { amountMinor: 500, currency: 'USD' } };
    expect(captureRequestToV1(body, { id: userId }).source).toEqual({ type: 'customer_default' });
    expect(captureRequestFromV1(captureRequestToV1(body, { id: userId })).body).not.toHaveProperty(
      'cardToken',
    );
  });

  it('round-trips legacy → v1 → legacy, and every translation is a valid v1 request', () => {
    fc.assert(
      fc.property(legacyCaptureBody, fc.uuid(), (body, caller) => {
        const v1 = captureRequestToV1(body, { id: caller });
        expect(createPaymentRequestSchema.safeParse(v1).success).toBe(true);
        expect(captureRequestFromV1(v1)).toEqual({ body, caller: { id: caller } });
        expect(capturePaymentBodySchema.safeParse(captureRequestFromV1(v1).body).success).toBe(
          true,
        );
      }),
    );
  });

  it('answers the capture as the legacy 201 with the legacy payment', () => {
    expect(captureResponseFromV1(v1Payment)).toEqual({ status: 201, body: legacyPayment });
  });
});

describe('a legacy body as the client sent it (not yet validated)', () => {
  it('translates a valid capture as captureRequestToV1 does', () => {
    fc.assert(
      fc.property(
        fc.uuid(),
        fc.option(fc.constantFrom('tok_visa', 'tok_decline'), { nil: undefined }),
        (order, cardToken) => {
          const body: CapturePaymentBody = {
            orderId: order,
            amount: { amountMinor: 700, currency: 'EUR' },
            ...(cardToken !== undefined && { cardToken }),
          };
          expect(captureBodyToV1(body, { id: userId })).toEqual(
            captureRequestToV1(body, { id: userId }),
          );
        },
      ),
    );
  });

  it('renames what is there and leaves the values, so the service refuses what the client sent', () => {
    expect(
      captureBodyToV1({ orderId: 'x', amount: { amountMinor: 0 }, extra: 1 }, { id: userId }),
    ).toEqual({
      order_ref: 'x',
      amount: { amount_minor: 0 },
      source: { type: 'customer_default' },
      customer_ref: userId,
    });
    expect(captureBodyToV1({ amount: 'ten' }, { id: userId })).toEqual({
      amount: 'ten',
      source: { type: 'customer_default' },
      customer_ref: userId,
    });
    expect(captureBodyToV1([1], { id: userId })).toEqual([1]);
  });

  it('passes a refund reason, and nothing else', () => {
    expect(refundBodyToV1({ reason: 'r', other: 1 })).toEqual({ reason: 'r' });
    expect(refundBodyToV1({})).toEqual({});
    expect(refundBodyToV1('text')).toBe('text');
  });
});

describe('refunds', () => {
  it('maps the request both ways', () => {
    expect(refundRequestToV1({ reason: 'customer cancelled' })).toEqual({
      reason: 'customer cancelled',
    });
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 500 }), (reason) => {
        expect(refundRequestFromV1(refundRequestToV1({ reason }))).toEqual({ reason });
      }),
    );
  });

  it('answers the legacy 200 with the refunded payment, for a refund made now or before', () => {
    const refunded = { ...v1Payment, status: 'refunded' as const };
    const refund = {
      id: '7a1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f',
      payment_id: paymentId,
      amount: refunded.amount,
      reason: 'customer cancelled',
      provider_ref: 'sbx_rf_1',
      created_at: refunded.updated_at,
      payment: refunded,
    };
    expect(refundResponseFromV1(refund)).toEqual({
      status: 200,
      body: { ...legacyPayment, status: 'refunded' },
    });
  });
});

describe('a v1 payment as the legacy payment', () => {
  it('maps every field', () => {
    expect(paymentFromV1(v1Payment)).toEqual(legacyPayment);
    expect(paymentToV1(legacyPayment)).toEqual(v1Payment);
  });

  it('maps decline_reason to failureReason, and absent optionals to null', () => {
    const declined: PaymentV1 = {
      ...v1Payment,
      status: 'declined',
      decline_reason: 'card declined',
      provider_ref: undefined,
    };
    delete declined.provider_ref;
    expect(paymentFromV1(declined)).toEqual({
      ...legacyPayment,
      status: 'failed',
      failureReason: 'card declined',
      providerReference: null,
    });
  });

  it('round-trips legacy → v1 → legacy for every status, and v1 → legacy → v1', () => {
    fc.assert(
      fc.property(legacyPayments, (payment) => {
        const v1 = paymentToV1(payment);
        expect(paymentV1Schema.safeParse(v1).success).toBe(true);
        expect(paymentFromV1(v1)).toEqual(payment);
        expect(paymentSchema.safeParse(paymentFromV1(v1)).success).toBe(true);
        expect(paymentToV1(paymentFromV1(v1))).toEqual(v1);
      }),
    );
  });
});

describe('v1 problems as legacy problems', () => {
  const v1Problem = (status: number, code: string, extra = {}) => ({
    type: errorType(code),
    title: 'x',
    status,
    detail: 'v1 detail',
    ...extra,
  });
  const cases: [string, number, number, string, Record<string, string>][] = [
    ['payment-not-found', 404, 404, `Payment ${paymentId} does not exist.`, {}],
    ['order-already-paid', 409, 409, `Order ${orderId} already has a different payment.`, {}],
    ['idempotency-key-reused', 422, 409, `Order ${orderId} already has a different payment.`, {}],
    [
      'refund-not-possible',
      409,
      409,
      `Payment ${paymentId} failed, so there is nothing to refund.`,
      {},
    ],
    ['forbidden', 403, 403, 'This needs the admin role.', {}],
    [
      'provider-unavailable',
      503,
      503,
      'The payment provider is unavailable; nothing was recorded. Try again shortly.',
      { 'Retry-After': '5' },
    ],
    [
      'payment-outcome-unknown',
      503,
      503,
      `The payment provider did not answer; whether order ${orderId} was charged is not known yet. Try again shortly: the same capture finishes it, and a refund gives back whatever was taken.`,
      { 'Retry-After': '5' },
    ],
    [
      'capture-in-progress',
      503,
      503,
      `A capture of order ${orderId} is under way; try again shortly.`,
      { 'Retry-After': '1' },
    ],
    [
      'idempotency-key-in-use',
      409,
      503,
      `A capture of order ${orderId} is under way; try again shortly.`,
      { 'Retry-After': '1' },
    ],
  ];

  it.each(cases)('%s (%i) → legacy %i', (code, status, legacyStatus, detail, headers) => {
    const translated = problemFromV1(
      v1Problem(status, code),
      { operation: 'capture', orderId, paymentId },
      {},
    );
    expect(translated).toEqual({
      status: legacyStatus,
      problem: {
        type: problemType(legacyStatus),
        title: expect.any(String),
        status: legacyStatus,
        detail,
      },
      headers,
    });
    expect(problemSchema.safeParse(translated.problem).success).toBe(true);
  });

  it('covers every code of the contract', () => {
    const mapped = new Set([...cases.map(([code]) => code), 'validation-failed']);
    expect(new Set(paymentErrorCodes)).toEqual(mapped);
  });

  it("says a customer may not list others' payments in the list route's words", () => {
    const translated = problemFromV1(v1Problem(403, 'forbidden'), { operation: 'list' });
    expect(translated.problem.detail).toBe("Only admins may list other users' payments.");
  });

  it('carries the v1 Retry-After over', () => {
    const translated = problemFromV1(
      v1Problem(503, 'provider-unavailable'),
      { operation: 'refund' },
      {
        'retry-after': '9',
      },
    );
    expect(translated.headers).toEqual({ 'Retry-After': '9' });
  });

  it('turns validation-failed into the legacy 400 with the legacy field paths', () => {
    const translated = problemFromV1(
      v1Problem(400, 'validation-failed', {
        errors: [
          { path: 'json.amount.amount_minor', message: 'must be greater than zero' },
          { path: 'json.order_ref', message: 'Invalid UUID' },
          { path: 'json.source.token', message: 'Too big' },
        ],
      }),
      { operation: 'capture' },
    );
    expect(translated).toEqual({
      status: 400,
      problem: {
        type: problemType(400),
        title: 'Invalid request',
        status: 400,
        detail: 'The request json is invalid.',
        errors: [
          { path: 'json.amount.amountMinor', message: 'must be greater than zero' },
          { path: 'json.orderId', message: 'Invalid UUID' },
          { path: 'json.cardToken', message: 'Too big' },
        ],
      },
      headers: {},
    });
  });

  it.each([
    ['json.order_ref', 'json.orderId'],
    ['json.customer_ref', 'json.userId'],
    ['json.amount.currency', 'json.amount.currency'],
    ['query.order_ref', 'query.orderId'],
    ['query.customer_ref', 'query.userId'],
    ['query.limit', 'query.pageSize'],
    ['json.reason', 'json.reason'],
  ])('field %s is legacy %s', (v1, legacy) => {
    expect(fieldPathFromV1(v1)).toBe(legacy);
  });

  it('keeps the status of a problem without a code (an app-level 401), with the legacy type', () => {
    const translated = problemFromV1(
      { type: problemType(401), title: 'Unauthorized', status: 401, detail: 'no token' },
      { operation: 'get' },
    );
    expect(translated).toMatchObject({
      status: 401,
      problem: { type: problemType(401), detail: 'no token' },
    });
  });
});

describe('legacy pages over cursor pages', () => {
  /** A v1 list in memory: the same order, an index as cursor. */
  function serve(
    rows: PaymentV1[],
    request: { limit?: number; cursor?: string; include_total?: string },
  ) {
    const from = request.cursor ? Number(request.cursor) : 0;
    const limit = request.limit ?? 20;
    const data = rows.slice(from, from + limit);
    const page: PaymentPageV1 = {
      data,
      next_cursor: from + limit < rows.length ? String(from + limit) : null,
      ...(request.include_total === 'true' && { total_count: rows.length }),
    };
    return page;
  }
  const rowsOf = (n: number): PaymentV1[] =>
    Array.from({ length: n }, (_, i) => ({
      ...v1Payment,
      id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    }));

  function run(rows: PaymentV1[], page: number, pageSize: number) {
    const requests: { limit?: number }[] = [];
    let step: LegacyPageStep = startLegacyPage({ page, pageSize, userId });
    while ('request' in step) {
      requests.push(step.request);
      step = continueLegacyPage(step.walk, serve(rows, step.request));
    }
    return { page: step.page, requests };
  }

  it('asks for the filters, a bounded limit and the total first', () => {
    const step = startLegacyPage({ page: 1, pageSize: 20, orderId, userId });
    expect('request' in step && step.request).toEqual({
      order_ref: orderId,
      customer_ref: userId,
      limit: 20,
      include_total: 'true',
    });
  });

  it('assembles legacy page 3 of 5 rows each from 250 rows in one request', () => {
    const rows = rowsOf(250);
    const { page, requests } = run(rows, 3, 5);
    expect(page).toEqual({
      items: rows.slice(10, 15).map(paymentFromV1),
      page: 3,
      pageSize: 5,
      total: 250,
    });
    expect(requests).toHaveLength(1);
    expect(paymentPageSchema.safeParse(page).success).toBe(true);
  });

  it('for any list and page: the same rows as an offset page, in requests of at most 100', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 400 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 100 }),
        (n, page, pageSize) => {
          const rows = rowsOf(n);
          const result = run(rows, page, pageSize);
          const from = (page - 1) * pageSize;
          expect(result.page).toEqual({
            items: rows.slice(from, from + pageSize).map(paymentFromV1),
            page,
            pageSize,
            total: n,
          });
          expect(result.requests.every((r) => (r.limit ?? 0) >= 1 && (r.limit ?? 0) <= 100)).toBe(
            true,
          );
          expect(result.requests.length).toBeLessThanOrEqual(
            Math.ceil((from + pageSize) / 100) + 1,
          );
        },
      ),
    );
  });
});
