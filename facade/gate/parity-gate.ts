import { z } from '@hono/zod-openapi';
import { errorType, ProblemError } from '../../src/platform/http/problem.ts';
import type { ParityFigures } from '../admin/overview-schema.ts';
import { type Mode as RouteMode, servingNewModes } from '../routes/modes.ts';
import type { RouteTable } from '../routes/route-entry.ts';
import type { GateDecision, ProposedChange } from '../toggles/admin-routes.ts';
import { type VerifySource, verifyResultSchema } from './verify-source.ts';

// The parity gate the toggle admin API asks before a change: a move that gives the new side
// more of a route's traffic (into canary, extracted or retired, or a larger canary share) needs
// the route's shadow match rate at its threshold over at least its minimum samples, and a fresh
// extract:verify of its capability that found no difference. A forced change passes (the store
// journals it as forced). A move back toward legacy is never refused: it is how one recovers.

export interface ParitySource {
  /** The route's shadow parity, summed over every replica. */
  figures(
    routeId: string,
  ):
    | Promise<Pick<ParityFigures, 'matchRate' | 'samples'>>
    | Pick<ParityFigures, 'matchRate' | 'samples'>;
}

export interface ParityGateOptions {
  table: RouteTable;
  parity: ParitySource;
  verify: VerifySource;
  /** A verify report older than this does not count; default 10 minutes. */
  verifyMaxAgeMs?: number;
  /** Wall clock (verify reports carry wall-clock times). */
  now?: () => number;
}

/** The gate's numbers, answered as the 409's extension members (the admin page shows them). */
export const gateFiguresSchema = z
  .object({
    matchRate: z.number().min(0).max(1).nullable(),
    samples: z.number().int().min(0),
    threshold: z.number().min(0).max(1),
    minSamples: z.number().int().min(1),
    verify: verifyResultSchema
      .pick({
        equal: true,
        mismatches: true,
        missingInService: true,
        missingInLegacy: true,
        checkedAt: true,
      })
      .nullable(),
    reasons: z.array(z.string()),
  })
  .openapi('ParityGateFigures');
export type GateFigures = z.infer<typeof gateFiguresSchema>;

/** How much of a route's traffic the new side answers in a placement (retired: all, no fallback). */
const exposure = (mode: RouteMode, percentage: number): number => {
  if (mode === 'canary') return percentage;
  if (mode === 'extracted') return 100;
  if (mode === 'retired') return 101;
  return 0;
};

/** The capability a route belongs to: its id's first part (`payments.read.by-id` → payments). */
export const capabilityOf = (routeId: string): string => routeId.split('.')[0] ?? routeId;

const percent = (share: number) => `${(share * 100).toFixed(2)}%`;

export function createParityGate(
  options: ParityGateOptions,
): (change: ProposedChange) => Promise<GateDecision> {
  const verifyMaxAgeMs = options.verifyMaxAgeMs ?? 10 * 60_000;
  const now = options.now ?? Date.now;
  const entries = new Map(options.table.map((entry) => [entry.id, entry]));

  async function measure(routeId: string): Promise<GateFigures> {
    const entry = entries.get(routeId);
    const threshold = entry?.parity.threshold ?? 0.99;
    const minSamples = entry?.parity.minSamples ?? 100;
    const capability = capabilityOf(routeId);
    const [parity, verify] = await Promise.all([
      options.parity.figures(routeId),
      options.verify.latest(capability),
    ]).catch(() => {
      // Not knowing the numbers is not a refusal: the admin may ask again.
      throw new ProblemError(503, `The parity figures of ${routeId} cannot be read now.`, {
        headers: { 'retry-after': '5' },
      });
    });

    const reasons: string[] = [];
    if (!entry?.new) reasons.push(`route ${routeId} has no new side`);
    if (parity.samples < minSamples) {
      reasons.push(`${parity.samples} shadow samples, ${minSamples} needed`);
    }
    if (parity.matchRate === null) {
      if (parity.samples >= minSamples) reasons.push('no shadow comparison yet');
    } else if (parity.matchRate < threshold) {
      reasons.push(`match rate ${percent(parity.matchRate)} below ${percent(threshold)}`);
    }
    if (!verify) {
      reasons.push(`extract:verify has no report for ${capability}`);
    } else {
      const ageMs = now() - Date.parse(verify.checkedAt);
      if (ageMs > verifyMaxAgeMs) {
        reasons.push(
          `extract:verify for ${capability} is ${Math.round(ageMs / 60_000)} min old (at most ${Math.round(verifyMaxAgeMs / 60_000)})`,
        );
      }
      if (!verify.equal) {
        reasons.push(
          `extract:verify for ${capability} found differences: ${verify.mismatches} mismatched, ${verify.missingInService} missing in the service, ${verify.missingInLegacy} missing in legacy, ${verify.conflicts} conflicts`,
        );
      }
    }
    return {
      matchRate: parity.matchRate,
      samples: parity.samples,
      threshold,
      minSamples,
      verify: verify
        ? {
            equal: verify.equal,
            mismatches: verify.mismatches,
            missingInService: verify.missingInService,
            missingInLegacy: verify.missingInLegacy,
            checkedAt: verify.checkedAt,
          }
        : null,
      reasons,
    };
  }

  return async (change) => {
    const gated =
      servingNewModes.includes(change.to.mode) &&
      exposure(change.to.mode, change.to.percentage) >
        exposure(change.from.mode, change.from.percentage);
    if (!gated || change.forced) return { allowed: true };
    const figures = await measure(change.routeId);
    if (figures.reasons.length === 0) return { allowed: true };
    return {
      allowed: false,
      problem: {
        type: errorType('parity-gate-refused'),
        title: 'Refused by the parity gate',
        status: 409,
        detail: `Moving ${change.routeId} to ${change.to.mode} is refused: ${figures.reasons.join('; ')}. Force it with a reason to move anyway.`,
        ...figures,
      },
    };
  };
}
