import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createRetentionSweep } from './retention.ts';

const logger = pino({ level: 'silent' });

describe('the retention sweep', () => {
  it('gives every part the window, runs again at once after a full batch, and survives a failing part', async () => {
    let old = 25;
    const seen: Array<[number, number]> = [];
    let failures = 0;
    const sweep = createRetentionSweep(
      [
        {
          name: 'broken',
          prune: async () => {
            failures += 1;
            throw new Error('relation is locked');
          },
        },
        {
          name: 'table',
          prune: async (olderThanMs, limit) => {
            seen.push([olderThanMs, limit]);
            const deleted = Math.min(limit, old);
            old -= deleted;
            return deleted;
          },
        },
      ],
      { windowMs: 86_400_000, intervalMs: 60_000, batchSize: 10 },
      logger,
    );
    sweep.start();
    // 25 rows in batches of 10, back to back; then a look that finds nothing, then idle.
    for (let i = 0; i < 100 && seen.length < 4; i++) await sleep(10);
    await sleep(100);
    await sweep.stop();
    expect(old).toBe(0);
    expect(seen).toEqual(Array.from({ length: 4 }, () => [86_400_000, 10]));
    expect(failures).toBe(4);
  });
});
