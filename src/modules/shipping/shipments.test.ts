import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openModuleHarness } from '../../../test/support/module-harness.ts';
import { outboxEvents } from '../../../test/support/outbox.ts';
import { rejection } from '../../../test/support/problem.ts';
import type { Database } from '../../platform/db/database.ts';
import type { Module } from '../../platform/module.ts';
import type { Address, ScheduleShipmentInput } from './contracts.ts';
import { createShippingModule, type ShippingApi } from './index.ts';
import { shipments } from './schema.ts';

let db: Database;
let cleanup: () => Promise<void>;
let shipping: Module<ShippingApi>;

beforeAll(async () => {
  // A narrow list, so "not served" is a real country rather than a made-up code.
  const harness = await openModuleHarness('shipping-shipments', {
    SHIPPING_COUNTRIES: 'DE,AT,CH,US,NL',
  });
  ({ db, cleanup } = harness);
  shipping = createShippingModule(harness.context);
});
afterAll(async () => {
  await cleanup();
});

const address = (country = 'DE'): Address => ({
  name: 'Erika Mustermann',
  line1: 'Heidestraße 17',
  postalCode: '51147',
  city: 'Köln',
  country,
});

const request = (country = 'DE'): ScheduleShipmentInput => ({
  orderId: randomUUID(),
  userId: randomUUID(),
  address: address(country),
  items: [{ productId: randomUUID(), quantity: 2 }],
});

const rowsFor = (orderId: string) =>
  db.select().from(shipments).where(eq(shipments.orderId, orderId));

const eventsFor = (name: string, orderId: string) => outboxEvents(db, name, orderId);

describe('schedule', () => {
  it('books a carrier by country and a tracking number, and publishes shipment.scheduled', async () => {
    const input = request('DE');
    const shipment = await shipping.api.schedule(input);

    expect(shipment).toMatchObject({
      orderId: input.orderId,
      userId: input.userId,
      status: 'scheduled',
      carrier: 'DHL',
      address: input.address,
      items: input.items,
      cancelReason: null,
      shippedAt: null,
    });
    expect(shipment.trackingNumber).toMatch(/^JJD\d{14}$/);
    const [event] = await eventsFor('shipment.scheduled', input.orderId);
    expect(event?.payload).toEqual({
      shipmentId: shipment.id,
      orderId: input.orderId,
      userId: input.userId,
      carrier: 'DHL',
      trackingNumber: shipment.trackingNumber,
    });
    expect(await shipping.api.getShipmentByOrder(input.orderId)).toEqual(shipment);
  });

  it('picks UPS for the US and PostNL elsewhere', async () => {
    const us = await shipping.api.schedule(request('US'));
    const nl = await shipping.api.schedule(request('NL'));
    expect(us.carrier).toBe('UPS');
    expect(us.trackingNumber).toMatch(/^1Z\d{14}$/);
    expect(nl.carrier).toBe('PostNL');
    expect(nl.trackingNumber).toMatch(/^3S\d{14}$/);
  });

  it('is idempotent per order: a replay returns the first shipment, one row, one event', async () => {
    const input = request();
    const first = await shipping.api.schedule(input);
    const replay = await shipping.api.schedule(input);

    expect(replay).toEqual(first);
    expect(await rowsFor(input.orderId)).toHaveLength(1);
    expect(await eventsFor('shipment.scheduled', input.orderId)).toHaveLength(1);
  });

  it('turns 20 concurrent schedules for one order into one row and one event (real PostgreSQL)', async () => {
    const input = request();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => shipping.api.schedule(input)),
    );

    const ids = new Set(results.map((shipment) => shipment.id));
    expect(ids.size).toBe(1);
    expect(await rowsFor(input.orderId)).toHaveLength(1);
    expect(await eventsFor('shipment.scheduled', input.orderId)).toHaveLength(1);
  });

  it('refuses a country it does not serve with a 422, leaving no row and no event', async () => {
    const input = request('JP');
    const error = await rejection(shipping.api.schedule(input));

    expect(error.status).toBe(422);
    expect(error.message).toBe('We do not ship to JP.');
    expect(await rowsFor(input.orderId)).toHaveLength(0);
    expect(await eventsFor('shipment.scheduled', input.orderId)).toHaveLength(0);
  });

  it('answers a malformed call with a 400 naming the fields, and stores nothing', async () => {
    const input = { ...request(), address: { ...address('de'), name: '' }, items: [] };
    const error = await rejection(shipping.api.schedule(input));

    expect(error.status).toBe(400);
    const paths = error.problem.errors?.map((issue) => issue.path);
    expect(paths).toEqual(expect.arrayContaining(['address.name', 'address.country', 'items']));
    expect(await rowsFor(input.orderId)).toHaveLength(0);
  });
});

describe('cancel', () => {
  it('cancels once: a second cancel returns the same shipment and publishes nothing more', async () => {
    const input = request();
    const scheduled = await shipping.api.schedule(input);

    const cancelled = await shipping.api.cancel(input.orderId, 'payment declined');
    const again = await shipping.api.cancel(input.orderId, 'another reason');

    expect(cancelled).toMatchObject({
      id: scheduled.id,
      status: 'cancelled',
      cancelReason: 'payment declined',
    });
    expect(again).toEqual(cancelled);
    const events = await eventsFor('shipment.cancelled', input.orderId);
    expect(events.map((event) => event.payload)).toEqual([
      {
        shipmentId: scheduled.id,
        orderId: input.orderId,
        userId: input.userId,
        reason: 'payment declined',
      },
    ]);
  });

  it('returns undefined for an order without a shipment', async () => {
    expect(await shipping.api.cancel(randomUUID(), 'nothing booked')).toBeUndefined();
  });

  it('refuses with a 409 once the parcel has shipped, and the shipment stays shipped', async () => {
    const input = request();
    await shipping.api.schedule(input);
    await shipping.api.markShipped(input.orderId);

    const error = await rejection(shipping.api.cancel(input.orderId, 'too late'));
    expect(error.status).toBe(409);
    expect((await shipping.api.getShipmentByOrder(input.orderId))?.status).toBe('shipped');
    expect(await eventsFor('shipment.cancelled', input.orderId)).toHaveLength(0);
  });

  it('keeps a cancelled shipment cancelled when scheduled again (the first schedule wins)', async () => {
    const input = request();
    await shipping.api.schedule(input);
    await shipping.api.cancel(input.orderId, 'order cancelled');

    expect((await shipping.api.schedule(input)).status).toBe('cancelled');
    expect(await eventsFor('shipment.scheduled', input.orderId)).toHaveLength(1);
  });
});

describe('markShipped', () => {
  it('moves scheduled → shipped once and publishes shipment.shipped once', async () => {
    const input = request('US');
    const scheduled = await shipping.api.schedule(input);

    const shipped = await shipping.api.markShipped(input.orderId);
    const again = await shipping.api.markShipped(input.orderId);

    expect(shipped).toMatchObject({ id: scheduled.id, status: 'shipped' });
    expect(shipped.shippedAt).not.toBeNull();
    expect(again).toEqual(shipped);
    const events = await eventsFor('shipment.shipped', input.orderId);
    expect(events.map((event) => event.payload)).toEqual([
      {
        shipmentId: scheduled.id,
        orderId: input.orderId,
        userId: input.userId,
        carrier: 'UPS',
        trackingNumber: scheduled.trackingNumber,
      },
    ]);
  });

  it('refuses a cancelled shipment with a 409 and an unknown order with a 404', async () => {
    const input = request();
    await shipping.api.schedule(input);
    await shipping.api.cancel(input.orderId, 'order cancelled');

    expect((await rejection(shipping.api.markShipped(input.orderId))).status).toBe(409);
    expect((await rejection(shipping.api.markShipped(randomUUID()))).status).toBe(404);
    expect(await eventsFor('shipment.shipped', input.orderId)).toHaveLength(0);
  });

  it('lets exactly one of a concurrent cancel and ship win', async () => {
    const input = request();
    await shipping.api.schedule(input);

    const [cancel, ship] = await Promise.allSettled([
      shipping.api.cancel(input.orderId, 'raced'),
      shipping.api.markShipped(input.orderId),
    ]);
    const final = await shipping.api.getShipmentByOrder(input.orderId);
    const cancelledEvents = await eventsFor('shipment.cancelled', input.orderId);
    const shippedEvents = await eventsFor('shipment.shipped', input.orderId);
    const outcome = {
      final: final?.status,
      cancel: cancel.status,
      ship: ship.status,
      cancelled: cancelledEvents.length,
      shipped: shippedEvents.length,
    };
    // One of exactly two outcomes, each with one event: never both, never neither.
    expect([
      { final: 'cancelled', cancel: 'fulfilled', ship: 'rejected', cancelled: 1, shipped: 0 },
      { final: 'shipped', cancel: 'rejected', ship: 'fulfilled', cancelled: 0, shipped: 1 },
    ]).toContainEqual(outcome);
  });
});

describe('getShipmentByOrder', () => {
  it('is undefined for an unknown order and for an id that is not a uuid', async () => {
    expect(await shipping.api.getShipmentByOrder(randomUUID())).toBeUndefined();
    expect(await shipping.api.getShipmentByOrder('not-a-uuid')).toBeUndefined();
  });
});
