// The deadline that shrinks along the call chain: a caller says in `x-request-budget-ms` how long
// it still waits, so this component stops (and tells whoever it calls) when nobody waits any
// more. A request that arrives with nothing left is answered 504 at once, doing no work.

export const REQUEST_BUDGET_HEADER = 'x-request-budget-ms';

/** Whole milliseconds, possibly negative (a caller already late); anything else is ignored. */
const BUDGET = /^-?\d{1,10}$/;

/**
 * When the request must be answered by (`performance.now()` ms, the caller's budget capped at
 * `maxMs`), 'spent' when the caller has stopped waiting, undefined when it gave no budget.
 */
export function deadlineOf(
  header: string | undefined,
  maxMs: number,
  now: number,
): number | 'spent' | undefined {
  if (header === undefined || !BUDGET.test(header)) return undefined;
  const budget = Number(header);
  return budget <= 0 ? 'spent' : now + Math.min(budget, maxMs);
}
