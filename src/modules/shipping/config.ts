import { z } from 'zod';
import { configSlice } from '../../platform/config/base-config.ts';

/** The shipping module's settings. */
export const shippingConfig = configSlice({
  /** ISO country codes the shipping module delivers to; others are refused. */
  SHIPPING_COUNTRIES: z
    .string()
    .default('AT,BE,CH,DE,DK,ES,FI,FR,GB,IE,IT,LU,NL,NO,PL,PT,SE,US')
    .transform((list) => list.split(',').map((code) => code.trim().toUpperCase()))
    .pipe(z.array(z.string().regex(/^[A-Z]{2}$/)).min(1)),
});
export type ShippingConfig = z.output<z.ZodObject<typeof shippingConfig.shape>>;
