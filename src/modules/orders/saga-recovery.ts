import type { OrdersDeps } from './deps.ts';
import { claimSagas, LeaseLost } from './saga-lease.ts';
import { driveSaga } from './saga-runner.ts';

const BATCH = 10;

export interface RecoveryReport {
  /** Sagas driven to their end: order confirmed or cancelled. */
  finished: number;
  /**
   * Sagas that could not finish now (an error); they are retried on the next sweep. A saga
   * another driver took over meanwhile counts as neither.
   */
  failed: number;
}

/**
 * Finds every unfinished saga nobody holds (its process died, or its retry is due) and drives
 * it to its end: forward when it was running (every step is idempotent, so the step a crash
 * interrupted simply runs again), backward when it was compensating. Several processes may
 * recover at once: each saga is claimed by one of them (see claimSagas).
 */
export async function recoverUnfinishedSagas(deps: OrdersDeps): Promise<RecoveryReport> {
  const report: RecoveryReport = { finished: 0, failed: 0 };
  // A saga seen once in this sweep waits for the next one, so a saga that keeps failing with a
  // very short lease cannot keep the sweep spinning; it is not claimed again either.
  const seen = new Set<string>();
  for (;;) {
    const claimed = await claimSagas(deps, { limit: BATCH, except: seen });
    if (claimed.length === 0) return report;
    // Driven one after another: a claim whose turn comes after its lease lapsed may have gone to
    // another process meanwhile, and driveSaga then stops before doing anything (LeaseLost).
    for (const lease of claimed) {
      seen.add(lease.orderId);
      try {
        await driveSaga(deps, lease);
        report.finished += 1;
      } catch (error) {
        if (error instanceof LeaseLost) continue;
        report.failed += 1;
        deps.logger.warn(
          { err: error, orderId: lease.orderId },
          'checkout saga recovery did not finish',
        );
      }
    }
  }
}

/**
 * A sweep at start, then one every `intervalMs` for sagas orphaned later. start() does not wait
 * for the first sweep: orphaned sagas are finished while the process already serves (their
 * steps may be slow). stop() waits for a sweep under way.
 */
export function startRecoveryLoop(deps: OrdersDeps, intervalMs: number) {
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  const sweep = async () => {
    try {
      await recoverUnfinishedSagas(deps);
    } catch (error) {
      deps.logger.error({ err: error }, 'checkout saga recovery sweep failed');
    }
  };
  const sweepUnlessBusy = () => {
    running ??= sweep().finally(() => {
      running = undefined;
    });
    return running;
  };
  return {
    async start() {
      void sweepUnlessBusy();
      if (intervalMs > 0) {
        timer = setInterval(sweepUnlessBusy, intervalMs);
        timer.unref();
      }
    },
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
