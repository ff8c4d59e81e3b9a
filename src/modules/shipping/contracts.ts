import { z } from '@hono/zod-openapi';

// What crosses the shipping module's boundary: the address (orders keeps the same shape),
// the API other modules call, and the REST outputs. Every TypeScript type below is inferred.

export const orderIdSchema = z.uuid().openapi({ example: '6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f' });

export const countryCodeSchema = z
  .string()
  .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code: two uppercase letters')
  .openapi({ example: 'DE' });

export const addressSchema = z
  .object({
    name: z.string().trim().min(1).max(100).openapi({ example: 'Erika Mustermann' }),
    line1: z.string().trim().min(1).max(200).openapi({ example: 'Heidestraße 17' }),
    line2: z.string().trim().max(200).optional(),
    postalCode: z.string().trim().min(1).max(20).openapi({ example: '51147' }),
    city: z.string().trim().min(1).max(100).openapi({ example: 'Köln' }),
    country: countryCodeSchema,
  })
  .openapi('Address');
export type Address = z.infer<typeof addressSchema>;

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
