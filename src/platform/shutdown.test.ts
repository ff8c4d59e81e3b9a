import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { stopInSteps } from './shutdown.ts';

const logger = pino({ level: 'silent' });

describe('stopInSteps', () => {
  it('leaves a hanging step behind and still gives each later step its share, within the bound', async () => {
    const given: Record<string, number> = {};
    const ran: string[] = [];
    const started = performance.now();
    await stopInSteps(
      [
        { name: 'drain', share: 0.1, run: () => new Promise(() => {}) }, // stuck on a lost database
        {
          name: 'bus',
          share: 0.3,
          run: async (ms) => {
            given.bus = ms;
            ran.push('bus');
          },
        },
        {
          name: 'close',
          share: 0.2,
          run: async (ms) => {
            given.close = ms;
            ran.push('close');
          },
        },
      ],
      1_000,
      logger,
    );
    const took = performance.now() - started;
    expect(ran).toEqual(['bus', 'close']);
    // The stuck step may use what the later ones do not need: 900 - (300 + 200) ms.
    expect(took).toBeGreaterThanOrEqual(390);
    expect(took).toBeLessThan(900);
    // Each later step still has its share; the last one also what the bus step left.
    expect(given.bus).toBeGreaterThanOrEqual(290);
    expect(given.close).toBeGreaterThanOrEqual(480);
  });
});
