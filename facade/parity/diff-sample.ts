import type { z } from '@hono/zod-openapi';
import type { diffSampleSchema } from '../admin/overview-schema.ts';

/** One mirrored request whose answers differed, as kept and shown (admin/overview-schema.ts). */
export type DiffSample = z.infer<typeof diffSampleSchema>;
