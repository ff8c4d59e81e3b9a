import type { Logger } from 'pino';

export interface PollingLoop {
  start(): void;
  /** Runs the work again as soon as possible (coalesced with a run already under way). */
  nudge(): void;
  /** Stops scheduling and waits for the run under way to finish. */
  stop(): Promise<void>;
}

/**
 * Calls `work` repeatedly: again at once while it reports progress, otherwise after the
 * interval or a nudge. A failing run is logged and retried later, so a database blip
 * pauses delivery instead of ending it.
 */
export function createPollingLoop(
  name: string,
  work: () => Promise<number>,
  intervalMs: number,
  logger: Logger,
): PollingLoop {
  let running = false;
  let stopped = true;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();

  const schedule = (delay: number) => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(run, delay);
  };

  const run = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    again = false;
    current = (async () => {
      let progressed = false;
      try {
        progressed = (await work()) > 0;
      } catch (error) {
        logger.warn({ err: error, loop: name }, 'event loop run failed; retrying later');
      } finally {
        running = false;
      }
      schedule(progressed || again ? 0 : intervalMs);
    })();
  };

  return {
    start() {
      stopped = false;
      schedule(0);
    },
    nudge() {
      if (!stopped) schedule(0);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
  };
}
