import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ModuleHarness, openModuleHarness } from '../../../test/support/module-harness.ts';
import type { EventEnvelope } from '../../platform/bus/event-contract.ts';
import { consumeOnce } from '../../platform/bus/subscription.ts';
import { orderCancelled } from '../orders/index.ts';
import type { NotificationPage } from './contracts.ts';
import { createNotificationsModule } from './index.ts';

let harness: ModuleHarness;
const alice = randomUUID();
const bob = randomUUID();
let aliceToken: string;

/** Delivers an order.cancelled to the module as the bus would. */
async function cancelOrderOf(userId: string, reason: string): Promise<void> {
  const module = createNotificationsModule(harness.context);
  const handler = module.subscriptions?.find(
    (s) => s.subscriber === 'notifications.on-order-cancelled',
  );
  if (!handler) throw new Error('no handler');
  const id = randomUUID();
  const envelope: EventEnvelope = {
    name: orderCancelled.name,
    version: orderCancelled.version,
    payload: { orderId: randomUUID(), userId, reason },
    metadata: {
      id,
      occurredAt: new Date().toISOString(),
      correlationId: id,
      causationId: null,
      traceId: randomUUID().replaceAll('-', ''),
    },
  };
  // One transaction each, so created_at (the transaction's time) orders them.
  await harness.db.transaction((tx) => consumeOnce(tx, handler, envelope));
}

beforeAll(async () => {
  harness = await openModuleHarness('notifications-routes');
  harness.mount(createNotificationsModule(harness.context));
  aliceToken = await harness.tokenFor(['customer'], alice);
  for (const reason of ['first', 'second', 'third']) await cancelOrderOf(alice, reason);
  await cancelOrderOf(bob, 'bob only');
});
afterAll(async () => {
  await harness.cleanup();
});

/** `null`: no Authorization header at all. */
const list = (query = '', token: string | null = aliceToken) =>
  harness.send('GET', `/api/notifications${query}`, { token: token ?? undefined });

describe('GET /api/notifications', () => {
  it("answers only the caller's notifications, newest first", async () => {
    const response = await list();
    expect(response.status).toBe(200);
    const page = (await response.json()) as NotificationPage;
    expect(page.total).toBe(3);
    expect(page.items.every((item) => item.userId === alice)).toBe(true);
    expect(page.items.map((item) => item.body.match(/cancelled: (\w+)/)?.[1])).toEqual([
      'third',
      'second',
      'first',
    ]);
  });

  it('pages', async () => {
    const response = await list('?page=2&pageSize=2');
    const page = (await response.json()) as NotificationPage;
    expect(page).toMatchObject({ page: 2, pageSize: 2, total: 3 });
    expect(page.items).toHaveLength(1);
    expect(page.items[0]?.body).toContain('first');
  });

  it('answers an empty page to a user with no notifications', async () => {
    const response = await list('', await harness.tokenFor(['customer']));
    expect(await response.json()).toMatchObject({ items: [], total: 0 });
  });

  it('refuses a bad query with 400', async () => {
    const response = await list('?pageSize=0');
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
  });

  it('answers 401 without a token, with an expired one and with a forged one', async () => {
    const expired = await harness.expiredTokenFor(['customer'], alice);
    const forged = await harness.forgedTokenFor(['customer'], alice);
    for (const token of [null, expired, forged]) {
      const response = await list('', token);
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
    }
  });
});
