import { z } from '@hono/zod-openapi';

// What crosses the catalog's boundary: REST inputs and outputs, the API other modules call,
// and event payloads. Every TypeScript type below is inferred from these schemas.

import { currencySchema, MAX_AMOUNT_MINOR, moneySchema } from '../../platform/money.ts';

export type { Money } from '../../platform/money.ts';

export const MAX_STOCK = 2_147_483_647;

export const skuSchema = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-" only')
  .openapi({ example: 'MUG-CER-350' });

export const productIdSchema = z
  .uuid()
  .openapi({ example: '0b8c0b6e-8c1f-4a55-9f0e-1f2a3b4c5d6e' });

export const productSchema = z
  .object({
    id: productIdSchema,
    sku: z.string(),
    name: z.string(),
    description: z.string(),
    price: moneySchema,
    active: z.boolean(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi('Product');
export type Product = z.infer<typeof productSchema>;

export const createProductSchema = z
  .object({
    sku: skuSchema,
    name: z.string().trim().min(1).max(200),
    description: z.string().trim().max(5000).default(''),
    price: moneySchema,
    active: z.boolean().default(true),
    /** Units on hand at creation. */
    initialStock: z.number().int().min(0).max(MAX_STOCK).default(0),
  })
  .openapi('CreateProduct');
export type CreateProductInput = z.infer<typeof createProductSchema>;

export const updateProductSchema = z
  .object({
    sku: skuSchema,
    name: z.string().trim().min(1).max(200),
    description: z.string().trim().max(5000),
    price: moneySchema,
    active: z.boolean(),
  })
  .partial()
  .refine((patch) => Object.keys(patch).length > 0, {
    message: 'give at least one field to change',
  })
  .openapi('UpdateProduct');
export type UpdateProductInput = z.infer<typeof updateProductSchema>;

export const productSorts = [
  'name',
  '-name',
  'price',
  '-price',
  'createdAt',
  '-createdAt',
] as const;
export type ProductSort = (typeof productSorts)[number];

const amountQuery = z.coerce.number().int().min(0).max(MAX_AMOUNT_MINOR);

export const listProductsQuerySchema = z
  .object({
    page: z.coerce.number().int().min(1).default(1),
    pageSize: z.coerce.number().int().min(1).max(100).default(20),
    /** Case-insensitive substring of name, description or sku. */
    q: z.string().trim().max(200).optional(),
    minPrice: amountQuery.optional().openapi({ description: 'Minimum price in minor units' }),
    maxPrice: amountQuery.optional().openapi({ description: 'Maximum price in minor units' }),
    currency: currencySchema.optional(),
    active: z
      .enum(['true', 'false'])
      .transform((value) => value === 'true')
      .optional(),
    sort: z.enum(productSorts).default('-createdAt'),
  })
  .refine(
    (query) =>
      query.minPrice === undefined ||
      query.maxPrice === undefined ||
      query.minPrice <= query.maxPrice,
    {
      message: 'must not be greater than maxPrice',
      path: ['minPrice'],
    },
  );
export type ListProductsQuery = z.infer<typeof listProductsQuerySchema>;

export const productPageSchema = z
  .object({
    items: z.array(productSchema),
    page: z.number().int(),
    pageSize: z.number().int(),
    total: z.number().int(),
  })
  .openapi('ProductPage');
export type ProductPage = z.infer<typeof productPageSchema>;

export const stockLevelSchema = z
  .object({
    productId: productIdSchema,
    onHand: z.number().int(),
    reserved: z.number().int(),
    available: z.number().int(),
  })
  .openapi('StockLevel');
export type StockLevel = z.infer<typeof stockLevelSchema>;

export const setStockSchema = z
  .object({ onHand: z.number().int().min(0).max(MAX_STOCK) })
  .openapi('SetStock');
export type SetStockInput = z.infer<typeof setStockSchema>;

// Reservations: what orders and cart ask of the catalog.

export const orderIdSchema = z.uuid();

export const stockItemSchema = z.object({
  productId: productIdSchema,
  quantity: z.number().int().min(1).max(MAX_STOCK),
});
export type StockItem = z.infer<typeof stockItemSchema>;

export const reserveStockSchema = z.object({
  orderId: orderIdSchema,
  items: z.array(stockItemSchema).min(1).max(500),
});
export type ReserveStockInput = z.infer<typeof reserveStockSchema>;

export const reservationStatuses = ['reserved', 'released', 'committed'] as const;
export type ReservationStatus = (typeof reservationStatuses)[number];

/** An order's reservation: its lines move between statuses together. */
export const reservationSchema = z.object({
  orderId: orderIdSchema,
  status: z.enum(reservationStatuses),
  items: z.array(stockItemSchema),
});
export type Reservation = z.infer<typeof reservationSchema>;

// Event payloads.

export const productChanges = ['created', 'updated', 'archived'] as const;

export const productChangedPayloadSchema = z.object({
  productId: productIdSchema,
  sku: z.string(),
  name: z.string(),
  price: moneySchema,
  active: z.boolean(),
  change: z.enum(productChanges),
});
export type ProductChangedPayload = z.infer<typeof productChangedPayloadSchema>;

export const stockReservedPayloadSchema = z.object({
  orderId: orderIdSchema,
  items: z.array(stockItemSchema).min(1),
});

export const stockReleasedPayloadSchema = z.object({
  orderId: orderIdSchema,
  items: z.array(stockItemSchema).min(1),
  reason: z.string(),
});
