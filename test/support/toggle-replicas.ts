import type { AppliedVia, ToggleStore } from '../../facade/toggles/store.ts';
import { withDeadline } from '../../src/platform/resilience/deadline.ts';

/**
 * Resolves with how `store` learned of `version` once it applies it (or a newer one). Bounded,
 * so a replica that never converges fails the test instead of hanging it.
 */
export function appliedBy(
  store: ToggleStore,
  version: number,
  boundMs = 10_000,
): Promise<{ via: AppliedVia; at: number }> {
  let off = () => {};
  const applied = new Promise<{ via: AppliedVia; at: number }>((resolve) => {
    off = store.onApplied((applied, via) => {
      if (applied >= version) resolve({ via, at: performance.now() });
    });
  });
  return withDeadline(applied, boundMs, `replica applying version ${version}`).finally(off);
}
