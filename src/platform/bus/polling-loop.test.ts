import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createPollingLoop, type PollingLoopTiming } from './polling-loop.ts';

const logger = pino({ level: 'silent' });

/** A queue of items the loop drains `batch` at a time, recording each run's size. */
function drain(batch: number) {
  const runs: number[] = [];
  let pending = 0;
  return {
    runs,
    add(count: number) {
      pending += count;
    },
    async work() {
      const taken = Math.min(batch, pending);
      pending -= taken;
      runs.push(taken);
      return taken;
    },
  };
}

type Queue = ReturnType<typeof drain>;
const loopOver = (queue: Queue, timing: PollingLoopTiming) =>
  createPollingLoop('test', () => queue.work(), timing, logger);

describe('the polling loop', () => {
  it('gathers what is nudged within its window into one run', async () => {
    const queue = drain(100);
    const loop = loopOver(queue, { intervalMs: 10_000, gatherMs: 100, fullBatch: 100 });
    loop.start();
    while (queue.runs.length === 0) await sleep(5); // the first, empty look
    for (let i = 0; i < 5; i++) {
      queue.add(1);
      loop.nudge();
    }
    await sleep(300);
    await loop.stop();
    // The five items in a single run; being part-full, it is followed by one more (empty) look.
    expect(queue.runs).toEqual([0, 5, 0]);
  });

  it('follows a full batch at once, and a part-full one after the window', async () => {
    const queue = drain(10);
    queue.add(25);
    const loop = loopOver(queue, { intervalMs: 10_000, gatherMs: 200, fullBatch: 10 });
    loop.start();
    // Well inside the window: had a full batch waited for it, only one run would be done.
    await sleep(100);
    expect(queue.runs).toEqual([10, 10, 5]);
    await sleep(400);
    await loop.stop();
    // The part-full run asked for one more look after the window: empty, then idle.
    expect(queue.runs).toEqual([10, 10, 5, 0]);
  });

  it('runs again after a stop and a new start', async () => {
    const queue = drain(10);
    const loop = loopOver(queue, { intervalMs: 10_000, gatherMs: 20, fullBatch: 10 });
    loop.start();
    loop.nudge(); // leaves a run due when the loop stops
    await loop.stop();
    const before = queue.runs.length;
    queue.add(3);
    loop.start();
    for (let i = 0; i < 100 && queue.runs.length === before; i++) await sleep(10);
    await loop.stop();
    expect(queue.runs.at(-1)).toBe(3);
  });

  it('stops waiting for a run that never ends after its bound', async () => {
    let entered = false;
    const loop = createPollingLoop(
      'stuck',
      async () => {
        entered = true;
        return new Promise<number>(() => {}); // a run stuck on a lost database
      },
      { intervalMs: 10_000 },
      logger,
    );
    loop.start();
    while (!entered) await sleep(5);
    const started = performance.now();
    expect(await loop.stop(200)).toBe(false);
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(190);
    expect(waited).toBeLessThan(1_000);
  });

  it('says it stopped cleanly when the run under way finishes in time', async () => {
    const queue = drain(10);
    const loop = loopOver(queue, { intervalMs: 10_000 });
    loop.start();
    expect(await loop.stop(1_000)).toBe(true);
  });
});
