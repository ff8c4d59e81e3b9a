import type { Logger } from 'pino';

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
