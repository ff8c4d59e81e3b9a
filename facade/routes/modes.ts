import { z } from '@hono/zod-openapi';
import type { RouteMode as Mode } from '../../src/platform/routing/route-modes.ts';

// A route's migration toggle and the policies that decide what happens when its new side fails.

/** Where a route is in its migration, from legacy only to new only (the monolith's seams read it too). */
export {
  type RouteMode as Mode,
  routeModeSchema as modeSchema,
  routeModes as modes,
} from '../../src/platform/routing/route-modes.ts';

/** Modes in which the new side answers some client: a move into one passes the parity gate. */
export const servingNewModes: readonly Mode[] = ['canary', 'extracted', 'retired'];

/** The new side's failures the facade can recover from. */
export const upstreamFailureSchema = z.enum(['connect-error', 'timeout', 'circuit-open']);
export type UpstreamFailure = z.infer<typeof upstreamFailureSchema>;

/**
 * Which writes a retry or a fallback may repeat: none, or those carrying an Idempotency-Key
 * (the upstream answers a repeat with the first answer). Safe methods always may.
 */
export const repeatableWritesSchema = z.enum(['never', 'with-idempotency-key']);
export type RepeatableWrites = z.infer<typeof repeatableWritesSchema>;

/** In `canary` and `extracted`, when a failed new-side call is answered by legacy instead. */
export const fallbackPolicySchema = z.strictObject({
  toLegacy: z.boolean().default(true),
  on: z.array(upstreamFailureSchema).default(['connect-error', 'timeout', 'circuit-open']),
  writes: repeatableWritesSchema.default('with-idempotency-key'),
});
export type FallbackPolicy = z.infer<typeof fallbackPolicySchema>;

/** Retries against one upstream: exponential backoff with full jitter, under the upstream's budget. */
export const retryPolicySchema = z
  .strictObject({
    /** Attempts in all, the first included; 1 means no retry. */
    maxAttempts: z.int().min(1).max(5).default(2),
    baseDelayMs: z.int().min(1).max(10_000).default(25),
    maxDelayMs: z.int().min(1).max(60_000).default(250),
    writes: repeatableWritesSchema.default('with-idempotency-key'),
  })
  .refine((policy) => policy.baseDelayMs <= policy.maxDelayMs, {
    message: 'baseDelayMs must not exceed maxDelayMs',
    path: ['maxDelayMs'],
  });
export type RetryPolicy = z.infer<typeof retryPolicySchema>;

/** How a request may be mirrored in `shadow`: as it is (safe), with a dry-run header, or not. */
export const mirrorPolicySchema = z.enum(['as-is', 'dry-run', 'never']);
export type MirrorPolicy = z.infer<typeof mirrorPolicySchema>;
