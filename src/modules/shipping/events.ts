import { z } from '@hono/zod-openapi';
import { defineEvent } from '../../platform/bus/event-contract.ts';

const shipmentFacts = {
  shipmentId: z.uuid(),
  orderId: z.uuid(),
  userId: z.uuid(),
};

export const shipmentScheduled = defineEvent({
  name: 'shipment.scheduled',
  version: 1,
  description: 'A carrier pickup was booked for an order.',
  payload: z.object({ ...shipmentFacts, carrier: z.string(), trackingNumber: z.string() }),
});

export const shipmentCancelled = defineEvent({
  name: 'shipment.cancelled',
  version: 1,
  description: 'A booked shipment was called off before it left.',
  payload: z.object({ ...shipmentFacts, reason: z.string() }),
});

export const shipmentShipped = defineEvent({
  name: 'shipment.shipped',
  version: 1,
  description: 'The parcel left the warehouse.',
  payload: z.object({ ...shipmentFacts, carrier: z.string(), trackingNumber: z.string() }),
});
