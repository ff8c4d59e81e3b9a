import type { Logger } from 'pino';
import { settlesWithin } from './resilience/deadline.ts';

/**
 * On SIGINT/SIGTERM runs `stop` once (drain, close queues and databases) and exits 0; a
 * second signal or a stop that outlives the timeout exits 1 rather than hang.
 */
export function exitGracefullyOnSignal(
  stop: () => Promise<void>,
  logger: Logger,
  timeoutMs: number,
): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal; exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs }, 'shutdown took too long; exiting');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    stop().then(
      () => {
        logger.info('stopped cleanly');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

export interface StopStep {
  name: string;
  /** The part of the whole stop's time kept for this step, whatever the steps before it took. */
  share: number;
  run(ms: number): Promise<unknown>;
}

/**
 * Runs the steps of a stop in order within `totalMs`: each may use what is left of it less the
 * shares of the steps after it. A step that outlives that (a drain or close stuck on a lost
 * database or Redis) is logged and left behind, and the next step runs, so the whole stop ends
 * in time. The shares' sum must stay below 1; a tenth of the bound is kept for exiting.
 */
export async function stopInSteps(
  steps: StopStep[],
  totalMs: number,
  logger: Logger,
): Promise<void> {
  const end = performance.now() + totalMs * 0.9;
  for (const [index, step] of steps.entries()) {
    const keptForLater = steps.slice(index + 1).reduce((sum, later) => sum + later.share, 0);
    const ms = Math.max(0, Math.floor(end - performance.now() - keptForLater * totalMs));
    const run = step.run(ms).catch((error: unknown) => {
      logger.warn({ err: error, step: step.name }, 'shutdown step failed');
    });
    if (!(await settlesWithin(run, ms))) {
      logger.warn({ step: step.name, ms }, 'shutdown step cut short');
    }
  }
}
