import { z } from 'zod';
import {
  fallbackPolicySchema,
  mirrorPolicySchema,
  modeSchema,
  retryPolicySchema,
} from './modes.ts';
import { compilePattern, paramNames, pathPatternSchema } from './path-pattern.ts';
import { translatorNames } from './translators.ts';

// One entry of the route table: a legacy route of the monolith, where its new side is (if it
// has one) and the toggle's defaults. Reads and writes are separate entries, so they can move
// at different times.

/** `<capability>.<read|write>.<what>`, e.g. `payments.read.by-id`. */
export const routeIdSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]*\.(read|write)\.[a-z][a-z0-9-]*$/, '<capability>.<read|write>.<what>');
export type RouteId = z.infer<typeof routeIdSchema>;

export const httpMethodSchema = z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
export type HttpMethod = z.infer<typeof httpMethodSchema>;

export const legacyTargetSchema = z.literal('monolith');
export const newTargetSchema = z.enum(['users-service', 'payments-service']);
export type NewTarget = z.infer<typeof newTargetSchema>;

export const newSideSchema = z.strictObject({
  target: newTargetSchema,
  /** The ACL translator (translators.ts) between the legacy API and the target's v1. */
  translator: z.enum(translatorNames),
});
export type NewSide = z.infer<typeof newSideSchema>;

export const parityGateSchema = z.strictObject({
  /** The shadow match rate (0–1) a move to the new side needs. */
  threshold: z.number().min(0).max(1).default(0.99),
  /** Compared pairs needed before the match rate counts. */
  minSamples: z.int().min(1).default(100),
});

/** The capability a translator's name starts with, and the service that capability lives in. */
const serviceOfCapability: Record<string, z.infer<typeof newTargetSchema>> = {
  users: 'users-service',
  payments: 'payments-service',
};

export const routeEntrySchema = z
  .strictObject({
    id: routeIdSchema,
    methods: z.array(httpMethodSchema).min(1),
    path: pathPatternSchema,
    legacy: legacyTargetSchema.default('monolith'),
    new: newSideSchema.optional(),
    mode: modeSchema.default('monolith'),
    /** In `canary`, the share of sticky keys (0–100, in steps of 0.01) the new side serves. */
    percentage: z.number().min(0).max(100).multipleOf(0.01).default(0),
    fallback: fallbackPolicySchema.prefault({}),
    /** The whole budget of one upstream call, retries included. */
    timeoutMs: z.int().min(1).max(120_000).default(5_000),
    retry: retryPolicySchema.prefault({}),
    /** How `shadow` may mirror the request; reads as they are, writes not unless declared. */
    mirror: mirrorPolicySchema.optional(),
    parity: parityGateSchema.prefault({}),
  })
  .superRefine((entry, ctx) => {
    const issue = (message: string, path: string) =>
      ctx.addIssue({ code: 'custom', message, path: [path] });
    const reads = entry.id.split('.')[1] === 'read';
    if (reads && entry.methods.some((m) => m !== 'GET'))
      issue('a read route is GET only', 'methods');
    if (!reads && entry.methods.includes('GET')) issue('a write route takes no GET', 'methods');
    if (new Set(entry.methods).size !== entry.methods.length) issue('a method twice', 'methods');
    const names = paramNames(compilePattern(entry.path));
    if (new Set(names).size !== names.length) issue('a path parameter named twice', 'path');
    if (entry.new === undefined && entry.mode !== 'monolith') {
      issue(`mode ${entry.mode} needs a new side`, 'mode');
    }
    if (entry.new !== undefined) {
      const capability = entry.new.translator.split('.')[0] ?? '';
      if (serviceOfCapability[capability] !== entry.new.target) {
        issue(`translator ${entry.new.translator} is not for ${entry.new.target}`, 'new');
      }
    }
    if (entry.mirror === 'as-is' && !reads) issue('a write is never mirrored as it is', 'mirror');
    if (entry.mirror === 'dry-run' && (reads || entry.new === undefined)) {
      issue('dry-run is for a write with a new side', 'mirror');
    }
  })
  .transform((entry) => ({
    ...entry,
    mirror: entry.mirror ?? (entry.id.split('.')[1] === 'read' ? 'as-is' : 'never'),
  }));

export type RouteEntry = z.infer<typeof routeEntrySchema>;
export type RouteEntryInput = z.input<typeof routeEntrySchema>;

/** The table: ids unique, and no method on two entries of one path shape. */
export const routeTableSchema = z.array(routeEntrySchema).superRefine((entries, ctx) => {
  const ids = new Set<string>();
  const taken = new Map<string, string>();
  entries.forEach((entry, index) => {
    if (ids.has(entry.id)) {
      ctx.addIssue({ code: 'custom', message: `route id ${entry.id} twice`, path: [index, 'id'] });
    }
    ids.add(entry.id);
    const { shape } = compilePattern(entry.path);
    for (const method of entry.methods) {
      const other = taken.get(`${method} ${shape}`);
      if (other !== undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `${method} ${entry.path} is also ${other}`,
          path: [index, 'methods'],
        });
      }
      taken.set(`${method} ${shape}`, entry.id);
    }
  });
});
export type RouteTable = readonly RouteEntry[];
