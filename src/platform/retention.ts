import type { Logger } from 'pino';
import { createPollingLoop, type PollingLoop } from './bus/polling-loop.ts';

/** Deletes up to `limit` records older than `olderThanMs`; returns the most it deleted from one table. */
export type Prune = (olderThanMs: number, limit: number) => Promise<number>;

export interface RetentionOptions {
  /** What each part keeps: records older than this go. */
  windowMs: number;
  /** How often the sweep runs (a sweep that deleted a full batch runs again at once). */
  intervalMs: number;
  /** Rows per statement, so no delete holds its locks for long. */
  batchSize?: number;
}

/**
 * One sweep for every table that would otherwise grow forever: the platform's (the bus) and
 * each module's, which prunes its own tables through its `prune` hook (the platform never
 * touches a module's tables).
 */
export function createRetentionSweep(
  parts: Array<{ name: string; prune: Prune }>,
  { windowMs, intervalMs, batchSize = 1_000 }: RetentionOptions,
  logger: Logger,
): PollingLoop {
  return createPollingLoop(
    'retention',
    async () => {
      let most = 0;
      for (const part of parts) {
        try {
          const deleted = await part.prune(windowMs, batchSize);
          most = Math.max(most, deleted);
          if (deleted > 0) logger.debug({ part: part.name, deleted }, 'pruned old records');
        } catch (error) {
          // One part failing (its tables locked, the database away) leaves the others to run.
          logger.warn({ err: error, part: part.name }, 'retention sweep failed; retrying later');
        }
      }
      return most;
    },
    { intervalMs, fullBatch: batchSize },
    logger,
  );
}
