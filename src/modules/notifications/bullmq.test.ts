import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { eq } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  createTestRedis,
  eventually,
  openMigratedTestDatabase,
  type TestRedis,
} from '../../../test/support/services.ts';
import { loadMonolithConfig } from '../../monolith-config.ts';
import { createEventBus, type EventBus } from '../../platform/bus/event-bus.ts';
import type { Database } from '../../platform/db/database.ts';
import { orderConfirmed } from '../orders/index.ts';
import { userRegistered } from '../users/index.ts';
import { createNotificationsModule } from './index.ts';
import { emailOutbox, notificationRows } from './schema.ts';

// The same module on the production transport: events through BullMQ queues in Redis.

let db: Database;
let cleanupDb: () => Promise<void>;
let redis: TestRedis;
let bus: EventBus;

beforeAll(async () => {
  const test = await openMigratedTestDatabase('notifications_bullmq');
  db = test.handle.db;
  cleanupDb = test.cleanup;
  redis = createTestRedis('notifications_bullmq');
  const logger = pino({ level: 'silent' });
  bus = createEventBus({
    db,
    logger,
    redis: { client: redis.connect(), prefix: redis.prefix },
    maxAttempts: 3,
    retryBaseMs: 20,
    pollIntervalMs: 30,
  });
  const module = createNotificationsModule({
    config: loadMonolithConfig({}),
    db,
    events: bus,
    logger,
  });
  bus.subscribe(...(module.subscriptions ?? []));
  await bus.start();
});
afterAll(async () => {
  await bus.stop();
  await redis.cleanup();
  await cleanupDb();
});

it('stores and mails notifications for events delivered through BullMQ', async () => {
  const userId = randomUUID();
  const registered = await db.transaction((tx) =>
    bus.publish(tx, userRegistered, { userId, username: 'cy', email: 'cy@example.com' }),
  );
  const confirmed = await db.transaction((tx) =>
    bus.publish(tx, orderConfirmed, {
      orderId: randomUUID(),
      userId,
      total: { amountMinor: 999, currency: 'EUR' },
      paymentId: randomUUID(),
      shipmentId: randomUUID(),
    }),
  );

  await eventually(async () => {
    const rows = await db
      .select()
      .from(notificationRows)
      .where(eq(notificationRows.userId, userId));
    expect(rows.map((row) => row.kind).sort()).toEqual(['order_confirmed', 'welcome']);
    const mails = await db.select().from(emailOutbox);
    const mine = mails.filter((mail) => rows.some((row) => row.id === mail.notificationId));
    // Each subscriber has its own queue, so order is not guaranteed: the order's mail goes out
    // only if user.registered was handled first. Every mail sent went to the learnt address.
    expect(mine.filter((mail) => mail.toAddress === 'cy@example.com')).toHaveLength(
      rows.filter((row) => row.channels.includes('email')).length,
    );
    expect(rows.find((row) => row.kind === 'welcome')?.channels).toEqual(['log', 'email']);
  });

  // Both went through BullMQ: each is a completed job on its subscriber's own queue.
  for (const [subscriber, event] of [
    ['notifications.on-user-registered', registered],
    ['notifications.on-order-confirmed', confirmed],
  ] as const) {
    const queue = new Queue(`events.${subscriber}`, {
      connection: redis.connect(),
      prefix: `${redis.prefix}:bull`,
    });
    try {
      const completed = await queue.getJobs(['completed']);
      expect(completed.map((job) => job.data.metadata?.id)).toEqual([event.metadata.id]);
    } finally {
      await queue.close();
    }
  }
});
