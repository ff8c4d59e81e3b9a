import { z } from '@hono/zod-openapi';
import { modeSchema } from '../routes/modes.ts';
import { replicaSchema } from '../toggles/toggle.ts';

// What the admin page shows of every route at once (`GET /_facade/api/overview`): its place in
// the migration, each side's live figures on this replica, and its shadow parity over every
// replica.

/** One side's figures over the last window (side stats, this replica). */
export const sideWindowSchema = z
  .object({
    requests: z.number().int().min(0),
    errors: z.number().int().min(0),
    errorRate: z.number().min(0).max(1),
    p95Ms: z.number().min(0).nullable(),
    p99Ms: z.number().min(0).nullable(),
  })
  .openapi('SideWindow');
export type SideWindow = z.infer<typeof sideWindowSchema>;

export const fieldDiffSchema = z.object({
  path: z.string(),
  legacy: z.unknown(),
  new: z.unknown(),
});

/** One mirrored request whose answers differed. */
export const diffSampleSchema = z
  .object({
    requestId: z.string(),
    method: z.string(),
    url: z.string(),
    at: z.iso.datetime(),
    diffs: z.array(fieldDiffSchema),
  })
  .openapi('ParityDiffSample');

/** A route's shadow parity since it last entered `shadow`, summed over every replica. */
export const parityFiguresSchema = z
  .object({
    samples: z.number().int().min(0),
    /** null until a pair was compared. */
    matchRate: z.number().min(0).max(1).nullable(),
    mismatches: z.number().int().min(0),
    /** Mirrored calls the new side failed (down, timed out): not compared. */
    mirrorErrors: z.number().int().min(0),
    /** Mirrors not sent, by reason (queue full, body too large, …). */
    drops: z.record(z.string(), z.number().int().min(0)),
    /** Field paths that differ between two legacy answers: not counted. */
    noise: z.array(z.string()),
    diffs: z.array(diffSampleSchema),
  })
  .openapi('ParityFigures');
export type ParityFigures = z.infer<typeof parityFiguresSchema>;

export const circuitStateSchema = z.enum(['closed', 'half-open', 'open']);

export const routeOverviewSchema = z
  .object({
    id: z.string(),
    methods: z.array(z.string()),
    path: z.string(),
    /** The service the route can move to; null for a route only the monolith serves. */
    newTarget: z.string().nullable(),
    mode: modeSchema,
    percentage: z.number().min(0).max(100),
    version: z.number().int(),
    changedAt: z.iso.datetime().nullable(),
    changedBy: z.string().nullable(),
    reason: z.string().nullable(),
    gate: z.object({ threshold: z.number(), minSamples: z.number().int() }),
    // Unions, not .nullable(): on a named schema zod-to-openapi emits `allOf: [$ref, null]`,
    // which null can never satisfy (asteasolutions/zod-to-openapi#387).
    parity: z.union([parityFiguresSchema, z.null()]),
    sides: z.object({ legacy: sideWindowSchema, new: z.union([sideWindowSchema, z.null()]) }),
    /** New-side failures answered by legacy, over the window. */
    fallbacks: z.number().int().min(0),
    circuit: z.object({ legacy: circuitStateSchema, new: circuitStateSchema.nullable() }),
  })
  .openapi('RouteOverview');
export type RouteOverview = z.infer<typeof routeOverviewSchema>;

export const overviewSchema = z
  .object({
    /** The toggle version this replica applies. */
    version: z.number().int(),
    replicaId: z.string(),
    routes: z.array(routeOverviewSchema),
    replicas: z.object({ version: z.number().int(), items: z.array(replicaSchema) }),
  })
  .openapi('FacadeOverview');
export type Overview = z.infer<typeof overviewSchema>;
