import type { Logger } from 'pino';
import { ConfigError } from '../config/base-config.ts';
import { createLogger } from '../logger.ts';
import { exitGracefullyOnSignal } from '../shutdown.ts';
import { StartupError } from '../startup-error.ts';

export interface Started {
  stop(): Promise<void>;
  /** Fields of the `ready` log line (the URL, the database, …). */
  ready: Record<string, unknown>;
  /** Lines for a person to read: off a terminal they go to stderr, so stdout stays JSON. */
  banner: string[];
}

/**
 * What every component's `main.ts` does: validate the environment (a bad value is named on
 * stderr, exit 1), start, log `ready` with the start-up time, print the banner, and stop
 * cleanly on SIGINT/SIGTERM within SHUTDOWN_TIMEOUT_MS.
 */
export async function runMain<C extends { LOG_LEVEL: string; SHUTDOWN_TIMEOUT_MS: number }>({
  name,
  component,
  loadConfig,
  start,
}: {
  /** The `name` of every log line. */
  name: string;
  /** The `component` of every log line, when the process runs one component. */
  component?: string;
  loadConfig: () => C;
  start: (config: C, logger: Logger) => Promise<Started>;
}): Promise<void> {
  let config: C;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  const root = createLogger({ level: config.LOG_LEVEL, name });
  const logger = component ? root.child({ component }) : root;
  try {
    const started = await start(config, logger);
    exitGracefullyOnSignal(started.stop, logger, config.SHUTDOWN_TIMEOUT_MS);
    // From process start, so module loading counts too.
    logger.info({ startupMs: Math.round(process.uptime() * 1000), ...started.ready }, 'ready');
    const banner = process.stdout.isTTY ? process.stdout : process.stderr;
    banner.write(['', ...started.banner, ''].join('\n'));
  } catch (error) {
    logger.fatal({ err: error }, 'start-up failed');
    if (error instanceof StartupError) process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}
