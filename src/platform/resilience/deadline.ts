import { DeadlineExceeded } from './infrastructure-error.ts';

/**
 * `work`, or DeadlineExceeded once `ms` have passed. The work itself is not cancelled: use it
 * where the caller must move on (and a late result is harmless), not to undo anything.
 */
export async function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  // setTimeout takes a longer delay than 2^31 - 1 ms (Infinity included) as 1 ms.
  if (ms > 2 ** 31 - 1) return work;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new DeadlineExceeded(`${what}: no answer within ${ms} ms`)),
      ms,
    );
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** True when `work` settles (either way) within `ms`; false when the wait was cut short. */
export async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  return withDeadline(
    work.then(
      () => true,
      () => true,
    ),
    Math.max(0, ms),
    'wait',
  ).catch(() => false);
}
