import { z } from '@hono/zod-openapi';

/** Amounts are integer minor units (cents), never floats; columns are 32-bit integers. */
export const MAX_AMOUNT_MINOR = 2_147_483_647;

export const currencySchema = z
  .string()
  .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code: three uppercase letters')
  .openapi({ example: 'EUR' });

export const moneySchema = z
  .object({
    amountMinor: z.number().int().min(0).max(MAX_AMOUNT_MINOR).openapi({ example: 1999 }),
    currency: currencySchema,
  })
  .openapi('Money');

export type Money = z.infer<typeof moneySchema>;
