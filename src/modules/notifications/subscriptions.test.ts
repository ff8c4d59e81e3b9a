import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { eq } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ModuleHarness, openModuleHarness } from '../../../test/support/module-harness.ts';
import { eventually } from '../../../test/support/services.ts';
import type { EventContract, EventEnvelope, PayloadOf } from '../../platform/bus/event-contract.ts';
import { consumeOnce, type Subscription } from '../../platform/bus/subscription.ts';
import type { Module } from '../../platform/module.ts';
import { orderCancelled, orderConfirmed } from '../orders/index.ts';
import { paymentFailed } from '../payments/index.ts';
import { shipmentScheduled } from '../shipping/index.ts';
import { userRegistered, userUpdated } from '../users/index.ts';
import { createNotificationsModule, type NotificationsApi } from './index.ts';
import { emailOutbox, notificationRows, recipients } from './schema.ts';

let harness: ModuleHarness;
let module: Module<NotificationsApi>;
const logLines: Record<string, unknown>[] = [];

beforeAll(async () => {
  harness = await openModuleHarness('notifications-events');
  // A real pino logger whose lines the test can read: the log channel's output is an outcome.
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const logger = pino({ level: 'info' }, sink);
  module = createNotificationsModule({ ...harness.context, logger });
  harness.bus.subscribe(...(module.subscriptions ?? []));
  await harness.bus.start();
});
afterAll(async () => {
  await harness.cleanup();
});

const publish = <C extends EventContract>(contract: C, payload: PayloadOf<C>) =>
  harness.db.transaction((tx) => harness.bus.publish(tx, contract, payload));

/** An envelope as the bus would deliver it, for driving a subscription by hand. */
const envelopeOf = <C extends EventContract>(
  contract: C,
  payload: PayloadOf<C>,
  occurredAt = new Date(),
): EventEnvelope => {
  const id = randomUUID();
  return {
    name: contract.name,
    version: contract.version,
    payload,
    metadata: {
      id,
      occurredAt: occurredAt.toISOString(),
      correlationId: id,
      causationId: null,
      traceId: randomUUID().replaceAll('-', ''),
    },
  };
};

const subscription = (name: string): Subscription => {
  const found = module.subscriptions?.find((s) => s.subscriber === name);
  if (!found) throw new Error(`no subscription ${name}`);
  return found;
};

const notificationsOf = (userId: string) =>
  harness.db.select().from(notificationRows).where(eq(notificationRows.userId, userId));

const mailsOf = (notificationIds: string[]) =>
  harness.db
    .select()
    .from(emailOutbox)
    .then((rows) => rows.filter((row) => notificationIds.includes(row.notificationId)));

const money = (amountMinor: number) => ({ amountMinor, currency: 'EUR' });

describe('consumed events', () => {
  const userId = randomUUID();
  const orderId = randomUUID();

  it('welcomes a registered user by log and by email to the address the event gave', async () => {
    await publish(userRegistered, { userId, username: 'ada', email: 'ada@example.com' });

    const [welcome] = await eventually(async () => {
      const rows = await notificationsOf(userId);
      expect(rows).toHaveLength(1);
      return rows;
    });
    expect(welcome).toMatchObject({
      kind: 'welcome',
      title: 'Welcome, ada',
      channels: ['log', 'email'],
      status: 'delivered',
    });
    const mails = await mailsOf([welcome?.id ?? '']);
    expect(mails).toEqual([
      expect.objectContaining({
        toAddress: 'ada@example.com',
        subject: 'Welcome, ada',
        sentAt: null,
      }),
    ]);
    expect(logLines).toContainEqual(
      expect.objectContaining({
        msg: 'notification delivered',
        notificationId: welcome?.id,
        to: 'ada@example.com',
      }),
    );
  });

  it('tells the user about each order, payment and shipment event, once each', async () => {
    const paymentId = randomUUID();
    const shipmentId = randomUUID();
    await publish(paymentFailed, {
      paymentId,
      orderId,
      userId,
      amount: money(1313),
      reason: 'card declined',
    });
    await publish(shipmentScheduled, {
      shipmentId,
      orderId,
      userId,
      carrier: 'DHL',
      trackingNumber: 'DHL-123',
    });
    await publish(orderConfirmed, { orderId, userId, total: money(4250), paymentId, shipmentId });
    await publish(orderCancelled, { orderId, userId, reason: 'payment declined' });

    const rows = await eventually(async () => {
      const found = await notificationsOf(userId);
      expect(found).toHaveLength(5);
      return found;
    });
    const byKind = Object.fromEntries(rows.map((row) => [row.kind, row]));
    expect(byKind.payment_failed?.body).toContain('13.13 EUR');
    expect(byKind.payment_failed?.body).toContain('card declined');
    expect(byKind.shipment_scheduled?.body).toContain('DHL-123');
    expect(byKind.order_confirmed?.body).toContain('42.50 EUR');
    expect(byKind.order_cancelled?.body).toContain('payment declined');

    const mails = await mailsOf(rows.map((row) => row.id));
    expect(mails).toHaveLength(5);
    expect(new Set(mails.map((mail) => mail.toAddress))).toEqual(new Set(['ada@example.com']));
  });

  it('mails the new address after user.updated, and ignores an older update arriving late', async () => {
    const updatedAt = new Date();
    await publish(userUpdated, {
      userId,
      username: 'ada',
      email: 'ada@new.example.com',
      changed: ['email'],
    });
    await eventually(async () => {
      const [recipient] = await harness.db
        .select()
        .from(recipients)
        .where(eq(recipients.userId, userId));
      expect(recipient?.email).toBe('ada@new.example.com');
    });

    const stale = envelopeOf(
      userUpdated,
      { userId, username: 'ada', email: 'ada@stale.example.com', changed: ['email'] },
      new Date(updatedAt.getTime() - 60_000),
    );
    await harness.db.transaction((tx) =>
      consumeOnce(tx, subscription('notifications.on-user-updated'), stale),
    );

    await publish(orderCancelled, { orderId: randomUUID(), userId, reason: 'changed my mind' });
    await eventually(async () => {
      const rows = await notificationsOf(userId);
      const cancelled = rows.find((row) => row.body.includes('changed my mind'));
      expect(cancelled).toBeDefined();
      const mails = await mailsOf([cancelled?.id ?? '']);
      expect(mails.map((mail) => mail.toAddress)).toEqual(['ada@new.example.com']);
    });
  });

  it('still notifies a user whose address is unknown, by log only', async () => {
    const stranger = randomUUID();
    await publish(orderCancelled, { orderId: randomUUID(), userId: stranger, reason: 'no stock' });

    const [row] = await eventually(async () => {
      const rows = await notificationsOf(stranger);
      expect(rows).toHaveLength(1);
      return rows;
    });
    expect(row?.channels).toEqual(['log']);
    expect(await mailsOf([row?.id ?? ''])).toEqual([]);
  });
});

describe('redelivery', () => {
  it('handling the same event twice stores one notification and queues one email', async () => {
    const userId = randomUUID();
    await harness.db.transaction((tx) =>
      consumeOnce(
        tx,
        subscription('notifications.on-user-registered'),
        envelopeOf(userRegistered, { userId, username: 'bo', email: 'bo@example.com' }),
      ),
    );
    const envelope = envelopeOf(orderCancelled, { orderId: randomUUID(), userId, reason: 'x' });
    const handler = subscription('notifications.on-order-cancelled');

    const first = await harness.db.transaction((tx) => consumeOnce(tx, handler, envelope));
    const second = await harness.db.transaction((tx) => consumeOnce(tx, handler, envelope));
    // Even a subscriber under another name (say, after a rename) cannot tell about it again.
    const renamed = { ...handler, subscriber: 'notifications.renamed-on-order-cancelled' };
    const third = await harness.db.transaction((tx) => consumeOnce(tx, renamed, envelope));

    expect([first, second, third]).toEqual([true, false, true]);
    const cancellations = (await notificationsOf(userId)).filter(
      (row) => row.kind === 'order_cancelled',
    );
    expect(cancellations).toHaveLength(1);
    expect(await mailsOf(cancellations.map((row) => row.id))).toHaveLength(1);
  });
});

describe('a failing channel', () => {
  it('rolls the notification and its email back, so the event can be retried', async () => {
    const failing = createNotificationsModule(harness.context, {
      channels: [
        {
          name: 'broken',
          reaches: () => true,
          async deliver() {
            throw new Error('mail relay down');
          },
        },
      ],
    });
    const handler = failing.subscriptions?.find(
      (s) => s.subscriber === 'notifications.on-order-cancelled',
    );
    if (!handler) throw new Error('no handler');
    const userId = randomUUID();
    const envelope = envelopeOf(orderCancelled, { orderId: randomUUID(), userId, reason: 'x' });

    await expect(
      harness.db.transaction((tx) => consumeOnce(tx, handler, envelope)),
    ).rejects.toThrow('mail relay down');
    expect(await notificationsOf(userId)).toEqual([]);

    // The inbox claim rolled back too: a healthy retry of the same event is handled.
    const healthy = subscription('notifications.on-order-cancelled');
    const retried = await harness.db.transaction((tx) => consumeOnce(tx, healthy, envelope));
    expect(retried).toBe(true);
    expect(await notificationsOf(userId)).toHaveLength(1);
  });
});
