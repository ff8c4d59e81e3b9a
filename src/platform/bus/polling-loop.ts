import type { Logger } from 'pino';
import { settlesWithin } from '../resilience/deadline.ts';

/** How long stop() waits for a run by default. */
const STOP_WAIT_MS = 5_000;

export interface PollingLoop {
  start(): void;
  /** Runs the work again as soon as possible (coalesced with a run already under way). */
  nudge(): void;
  /**
   * Stops scheduling and waits for the run under way to finish, at most `waitMs`: a run stuck
   * on a lost database must not hold a shutdown. Resolves false when it stopped waiting.
   */
  stop(waitMs?: number): Promise<boolean>;
}

export interface PollingLoopTiming {
  /** How long an idle loop waits before looking again (a nudge cuts it short). */
  intervalMs: number;
  /**
   * How long the loop lets work gather before a run that a nudge or a part-full run asked
   * for: under steady load, one run every few milliseconds takes many items at once rather
   * than each item in a run (and its statements) of its own. 0 runs at once.
   */
  gatherMs?: number;
  /** A run that handled this many items (a full batch) is followed at once. */
  fullBatch?: number;
}

/**
 * Calls `work` (which returns how many items it handled) repeatedly: again at once after a
 * full batch, after `gatherMs` after a part-full one or a nudge, otherwise after the interval.
 * A failing run is logged and retried later, so a database blip pauses delivery instead of
 * ending it.
 */
export function createPollingLoop(
  name: string,
  work: () => Promise<number>,
  { intervalMs, gatherMs = 0, fullBatch = Number.POSITIVE_INFINITY }: PollingLoopTiming,
  logger: Logger,
): PollingLoop {
  let running = false;
  let stopped = true;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  let dueAt = Number.POSITIVE_INFINITY;
  let current: Promise<void> = Promise.resolve();

  /** Runs after `delay`, unless a run is already due sooner. */
  const schedule = (delay: number) => {
    if (stopped) return;
    const at = performance.now() + delay;
    if (timer && dueAt <= at) return;
    clearTimeout(timer);
    dueAt = at;
    timer = setTimeout(run, delay);
  };

  const run = () => {
    timer = undefined;
    dueAt = Number.POSITIVE_INFINITY;
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    again = false;
    current = (async () => {
      let handled = 0;
      try {
        handled = await work();
      } catch (error) {
        logger.warn({ err: error, loop: name }, 'event loop run failed; retrying later');
      } finally {
        running = false;
      }
      schedule(handled >= fullBatch ? 0 : handled > 0 || again ? gatherMs : intervalMs);
    })();
  };

  return {
    start() {
      stopped = false;
      schedule(0);
    },
    nudge() {
      if (running) again = true;
      else schedule(gatherMs);
    },
    async stop(waitMs = STOP_WAIT_MS) {
      stopped = true;
      clearTimeout(timer);
      timer = undefined;
      dueAt = Number.POSITIVE_INFINITY;
      const finished = await settlesWithin(current, waitMs);
      if (!finished) logger.warn({ loop: name, waitMs }, 'stopped waiting for a run under way');
      return finished;
    },
  };
}
