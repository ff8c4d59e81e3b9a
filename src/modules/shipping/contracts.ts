import { z } from '@hono/zod-openapi';
import { addressSchema } from '../../platform/address.ts';

// What crosses the shipping module's boundary: the API other modules call and the REST
// outputs. Every TypeScript type below is inferred.

export { type Address, addressSchema } from '../../platform/address.ts';

export const orderIdSchema = z.uuid().openapi({ example: '6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f' });

export const shipmentItemSchema = z.object({
  productId: z.uuid(),
  quantity: z.number().int().min(1).max(2_147_483_647),
});
export type ShipmentItem = z.infer<typeof shipmentItemSchema>;

export const scheduleShipmentSchema = z.object({
  orderId: orderIdSchema,
  userId: z.uuid(),
  address: addressSchema,
  items: z.array(shipmentItemSchema).min(1).max(500),
});
export type ScheduleShipmentInput = z.infer<typeof scheduleShipmentSchema>;

export const shipmentStatuses = ['scheduled', 'cancelled', 'shipped'] as const;
export type ShipmentStatus = (typeof shipmentStatuses)[number];

export const carriers = ['DHL', 'UPS', 'PostNL'] as const;
export type Carrier = (typeof carriers)[number];

export const shipmentSchema = z
  .object({
    id: z.uuid(),
    orderId: orderIdSchema,
    userId: z.uuid(),
    status: z.enum(shipmentStatuses),
    carrier: z.enum(carriers),
    trackingNumber: z.string().openapi({ example: 'JJD004812930571' }),
    address: addressSchema,
    items: z.array(shipmentItemSchema),
    cancelReason: z.string().nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    shippedAt: z.iso.datetime().nullable(),
  })
  .openapi('Shipment');
export type Shipment = z.infer<typeof shipmentSchema>;

export const cancelReasonSchema = z.string().trim().min(1).max(500);
