import type {
  ListPaymentsRequest,
  PaymentPage,
  PaymentV1,
  Refund,
} from '../../src/contracts/payments/v1/index.ts';
import { listPaymentsQuerySchema } from '../../src/modules/payments/index.ts';
import {
  type Problem,
  validationProblem,
  zodFieldErrors,
} from '../../src/platform/http/problem.ts';
import {
  jsonOf,
  type LegacyAnswer,
  rawPart,
  signedIn,
  type Translation,
  type Translator,
  type V1Answer,
} from '../proxy/translation.ts';
import {
  captureBodyToV1,
  captureResponseFromV1,
  paymentFromV1,
  refundBodyToV1,
  refundResponseFromV1,
} from './payments.ts';
import { type LegacyAnswerContext, problemFromV1 } from './payments-errors.ts';
import { continueLegacyPage, startLegacyPage } from './payments-pagination.ts';

// The legacy payments routes over payments-service's v1 API. Every one needs a signed-in
// client: payments-service reads a call without a forwarded user as the calling component's
// own authority, which may capture.

/** The legacy refusal: as the monolith's every problem, it names the legacy path it answers. */
const problemOf = (
  t: Translation,
  answer: V1Answer,
  context: LegacyAnswerContext,
): LegacyAnswer => {
  const legacy = problemFromV1(answer.body as Problem, context, answer.headers);
  return { problem: { ...legacy.problem, instance: t.path }, headers: legacy.headers };
};

const paymentPath = (id: string) => `/v1/payments/${encodeURIComponent(id)}`;

const searchOf = (request: ListPaymentsRequest) =>
  new URLSearchParams(
    Object.entries(request).flatMap(([name, value]): [string, string][] =>
      value === undefined ? [] : [[name, String(value)]],
    ),
  ).toString();

export const paymentsTranslators = {
  async 'payments.capture'(t) {
    const user = signedIn(t);
    const json = jsonOf(t.body);
    const answer = await t.call({
      method: 'POST',
      path: '/v1/payments',
      body: captureBodyToV1(json, user),
      ...rawPart(t.body),
    });
    const orderId = (json as { orderId?: unknown } | undefined)?.orderId;
    if (answer.status >= 400) {
      return problemOf(t, answer, {
        operation: 'capture',
        ...(typeof orderId === 'string' && { orderId }),
      });
    }
    return captureResponseFromV1(answer.body as PaymentV1);
  },

  async 'payments.get'(t) {
    signedIn(t);
    const id = t.params.id ?? '';
    const answer = await t.call({ method: 'GET', path: paymentPath(id) });
    if (answer.status >= 400) return problemOf(t, answer, { operation: 'get', paymentId: id });
    return { status: 200, body: paymentFromV1(answer.body as PaymentV1) };
  },

  async 'payments.list'(t) {
    signedIn(t);
    // The legacy page query has no v1 twin (v1 pages by cursor): it is checked here, as the
    // legacy route checks it, and walked over v1 pages.
    const query = listPaymentsQuerySchema.safeParse(Object.fromEntries(t.query));
    if (!query.success) {
      const problem = validationProblem('query', zodFieldErrors('query', query.error));
      return { problem: { ...problem, instance: t.path } };
    }
    let step = startLegacyPage(query.data);
    while ('request' in step) {
      const answer = await t.call({
        method: 'GET',
        path: `/v1/payments?${searchOf(step.request)}`,
      });
      if (answer.status >= 400) return problemOf(t, answer, { operation: 'list' });
      step = continueLegacyPage(step.walk, answer.body as PaymentPage);
    }
    return { status: 200, body: step.page };
  },

  async 'payments.refund'(t) {
    signedIn(t);
    const id = t.params.id ?? '';
    const answer = await t.call({
      method: 'POST',
      path: `${paymentPath(id)}/refunds`,
      body: refundBodyToV1(jsonOf(t.body)),
      ...rawPart(t.body),
    });
    if (answer.status >= 400) return problemOf(t, answer, { operation: 'refund', paymentId: id });
    return refundResponseFromV1(answer.body as Refund);
  },
} satisfies Record<string, Translator>;
