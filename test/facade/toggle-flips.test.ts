import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FacadeSystem, startFacadeSystem } from '../support/facade-system.ts';
import { expectPaymentsConsistent } from './fault-stores.ts';
import { type FacadeClient, facadeClient, type Order, shopper } from './fault-system.ts';

// 100 random toggle flips of the payments routes at the facade (forced, every mode, canary at
// random percentages) during a stream of checkouts through it: the monolith's payment seam
// follows payments.write.capture wherever it goes, and no row is lost on the way.

const FLIPS = 100;
const ROUTES = [
  'payments.write.capture',
  'payments.read.list',
  'payments.read.by-id',
  'payments.write.refund',
] as const;
const MODES = ['monolith', 'shadow', 'canary', 'extracted', 'retired'] as const;

let system: FacadeSystem;
let client: FacadeClient;
let admin: string;

beforeAll(async () => {
  // The flips and the stream are one admin's and one shopper's: past a person's rate limit.
  system = await startFacadeSystem('fault_flips', { env: { RATE_LIMIT_PER_MINUTE: '100000' } });
  client = facadeClient(system.url);
  admin = await client.login('admin', 'admin-password');
});
afterAll(async () => {
  await system?.stop();
});

/** A seeded generator, so a failing run can be replayed (the seed is in the test's name). */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
const SEED = Number.parseInt(randomUUID().slice(0, 8), 16);

describe('toggle flips during a stream of checkouts through the facade', () => {
  it(`loses no row over ${FLIPS} random flips (seed ${SEED})`, async () => {
    const next = random(SEED);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
    const buyer = await shopper(client, admin, 10_000);
    const current = new Map<string, string>(ROUTES.map((route) => [route, 'monolith']));

    let flipping = true;
    const placed: Array<{ status: number; order: Order }> = [];
    const stream = Promise.all(
      Array.from({ length: 3 }, async () => {
        while (flipping) {
          const reply = await buyer.place();
          placed.push({ status: reply.status, order: reply.body });
        }
      }),
    );
    for (let flip = 0; flip < FLIPS; flip++) {
      const route = pick(ROUTES);
      // Always a move: a mode other than the route's current one.
      const mode = pick(MODES.filter((m) => m !== current.get(route)));
      await client.move(
        admin,
        route,
        mode,
        mode === 'canary' ? 1 + Math.floor(next() * 99) : undefined,
      );
      current.set(route, mode);
      await new Promise((resolve) => setTimeout(resolve, 30 + next() * 50));
    }
    flipping = false;
    await stream;

    expect(placed.length).toBeGreaterThan(FLIPS / 4);
    expect(placed.filter((p) => p.status !== 201)).toEqual([]);
    const orders = placed.map((p) => p.order);
    expect(orders.filter((order) => !['confirmed', 'cancelled'].includes(order.status))).toEqual(
      [],
    );
    expect(orders.filter((order) => order.status === 'confirmed').length).toBeGreaterThan(0);
    await expectPaymentsConsistent(system, orders);

    const journal = await client.get<{ items: Array<{ version: number; forced: boolean }> }>(
      `/_facade/api/journal?limit=500`,
      admin,
    );
    expect(journal.status).toBe(200);
    const versions = journal.body.items.map((entry) => entry.version).sort((a, b) => a - b);
    expect(versions).toEqual(Array.from({ length: FLIPS }, (_, i) => i + 1));
    expect(journal.body.items.every((entry) => entry.forced)).toBe(true);
  }, 90_000);
});
