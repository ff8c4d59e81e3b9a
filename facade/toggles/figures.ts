import { z } from '@hono/zod-openapi';

const share = z.number().min(0).max(1);
const ms = z.number().min(0);

/** One side's figures over the window the caller measured. */
const sideFiguresSchema = z.object({
  requests: z.number().int().min(0),
  errorRate: share,
  p95Ms: ms.nullable(),
  p99Ms: ms.nullable(),
});

/**
 * What the numbers were when a route was changed, kept in its journal row: the shadow parity
 * and each side's error rate and latency. The caller measures them; absent means not measured.
 */
export const figuresSchema = z
  .object({
    parity: z.object({ matchRate: share, samples: z.number().int().min(0) }).optional(),
    legacy: sideFiguresSchema.optional(),
    new: sideFiguresSchema.optional(),
  })
  .openapi('ToggleFigures');

export type Figures = z.infer<typeof figuresSchema>;
