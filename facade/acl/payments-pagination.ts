import {
  type ListPaymentsRequest,
  MAX_PAGE_LIMIT,
  type PaymentPage as PaymentPageV1,
  type PaymentV1,
} from '../../src/contracts/payments/v1/index.ts';
import type { ListPaymentsQuery, PaymentPage } from '../../src/modules/payments/index.ts';
import { paymentFromV1 } from './payments.ts';

// Legacy pages (`page`, `pageSize`, `total`) over v1's cursor pages. Both lists have the same
// order (newest first: created, then id), so legacy page n is the v1 rows from (n-1)·pageSize
// on. A cursor cannot jump: the facade walks v1 pages from the start, asking each time for no
// more rows than it still needs (at most 100), and keeps only the rows of the page asked for.
// Pure: the walk says which request to make next; the facade makes it and feeds the answer in.
//
//   const { walk, request } = startLegacyPage(query);
//   for (let step = { walk, request }; 'request' in step; ) step = continueLegacyPage(step.walk, await get(step.request));

export interface LegacyPageWalk {
  readonly query: Pick<ListPaymentsQuery, 'page' | 'pageSize' | 'orderId' | 'userId'>;
  /** v1 rows seen so far, from the start of the list. */
  readonly seen: number;
  /** The rows of the legacy page found so far. */
  readonly rows: readonly PaymentV1[];
  /** From the first v1 page (asked with include_total). */
  readonly total: number | undefined;
}

export type LegacyPageStep =
  | { walk: LegacyPageWalk; request: ListPaymentsRequest }
  | { page: PaymentPage };

const firstRow = (walk: LegacyPageWalk) => (walk.query.page - 1) * walk.query.pageSize;
const endRow = (walk: LegacyPageWalk) => firstRow(walk) + walk.query.pageSize;

function requestFor(walk: LegacyPageWalk, cursor: string | undefined): ListPaymentsRequest {
  return {
    ...(walk.query.orderId !== undefined && { order_ref: walk.query.orderId }),
    ...(walk.query.userId !== undefined && { customer_ref: walk.query.userId }),
    limit: Math.min(MAX_PAGE_LIMIT, endRow(walk) - walk.seen),
    ...(cursor !== undefined && { cursor }),
    ...(walk.seen === 0 && { include_total: 'true' as const }),
  };
}

/** The first v1 request for a legacy page request (`userId`: whose payments, as resolved). */
export function startLegacyPage(query: LegacyPageWalk['query']): LegacyPageStep {
  const walk: LegacyPageWalk = { query, seen: 0, rows: [], total: undefined };
  return { walk, request: requestFor(walk, undefined) };
}

/** Takes in the answer to the last request: the next request, or the legacy page. */
export function continueLegacyPage(walk: LegacyPageWalk, answer: PaymentPageV1): LegacyPageStep {
  const from = firstRow(walk);
  const kept = answer.data.filter((_, i) => walk.seen + i >= from && walk.seen + i < endRow(walk));
  const next: LegacyPageWalk = {
    ...walk,
    seen: walk.seen + answer.data.length,
    rows: [...walk.rows, ...kept],
    total: walk.total ?? answer.total_count,
  };
  if (next.seen < endRow(next) && answer.next_cursor !== null && answer.data.length > 0) {
    return { walk: next, request: requestFor(next, answer.next_cursor) };
  }
  return {
    page: {
      items: next.rows.map(paymentFromV1),
      page: walk.query.page,
      pageSize: walk.query.pageSize,
      // A service that left the count out: the rows it listed are all there are only at the end.
      total: next.total ?? next.seen,
    },
  };
}
