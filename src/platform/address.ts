import { z } from '@hono/zod-openapi';

// Like money, a postal address is a value type every module shares (cart, orders, shipping).

const countryCodeSchema = z
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
