import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { startHeartbeat } from './heartbeat.ts';

describe('startHeartbeat', () => {
  it('beats on its interval, one beat at a time, and keeps beating after a failure', async () => {
    let running = 0;
    let overlapped = false;
    let beats = 0;
    const errors: unknown[] = [];
    const heartbeat = startHeartbeat(
      10,
      async () => {
        running += 1;
        overlapped ||= running > 1;
        beats += 1;
        // Slower than the interval: the next tick must not start a second beat.
        await sleep(25);
        running -= 1;
        if (beats === 1) throw new Error('the first beat fails');
      },
      (error) => errors.push(error),
    );
    await sleep(200);
    await heartbeat.stop();
    expect(overlapped).toBe(false);
    expect(beats).toBeGreaterThan(2);
    expect(errors).toEqual([new Error('the first beat fails')]);
  });

  it('stop() waits for the beat under way, and nothing beats after it', async () => {
    let finished = 0;
    let started = 0;
    const heartbeat = startHeartbeat(
      5,
      async () => {
        started += 1;
        await sleep(40);
        finished += 1;
      },
      () => {},
    );
    await sleep(15);
    await heartbeat.stop();
    expect(finished).toBe(started);
    expect(started).toBe(1);
    await sleep(30);
    expect(started).toBe(1);
  });
});
