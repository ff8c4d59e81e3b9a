import type { Logger } from 'pino';
import type { SideWindow } from '../admin/overview-schema.ts';
import type { Mode as RouteMode } from '../routes/modes.ts';
import type { RouteTable } from '../routes/route-entry.ts';
import type { SideStats } from '../stats/side-stats.ts';
import type { Figures } from '../toggles/figures.ts';
import type { ToggleStore } from '../toggles/store.ts';
import { ToggleError } from '../toggles/toggle-error.ts';

// The automatic step back: every interval, each route in `canary` or `extracted` whose new side
// regressed past legacy's by the margin over the side stats' window moves back one mode
// (extracted → canary, canary → shadow), journaled with the numbers. The windows are this
// replica's; each replica judges on its own traffic, and the store's compare-and-set lets only
// the first of them move a route. In `extracted` legacy gets no traffic of its own, so the new
// side is compared with the last legacy window this replica saw with enough requests (kept per
// route while the route was in canary or before); without one, only the error rate is judged,
// against the margin alone.

export const STEP_BACK_ACTOR = 'facade:step-back';

export interface StepBackMargin {
  /** New error rate minus legacy's above this regresses; default 0.05 (5 points). */
  errorRate: number;
  /** New p99 above legacy's × this + p99SlackMs regresses; default 2. */
  p99Factor: number;
  p99SlackMs: number;
}

export interface StepBackOptions {
  store: ToggleStore;
  table: RouteTable;
  stats: SideStats;
  margin?: Partial<StepBackMargin>;
  intervalMs?: number;
  /** New-side requests in the window below which nothing is judged; default 50. */
  minRequests?: number;
  logger?: Logger;
  /** Wall clock, to compare with the toggles' change times. */
  now?: () => number;
}

/** One step back taken. */
export interface StepTaken {
  routeId: string;
  from: { mode: RouteMode; percentage: number };
  to: { mode: RouteMode; percentage: number };
  reason: string;
}

export interface StepBack {
  start(): void;
  stop(): void;
  /** Judges every route once; what it stepped back (a route another replica moved first is not). */
  check(): Promise<StepTaken[]>;
}

const percent = (share: number) => `${(share * 100).toFixed(2)}%`;
const sideFigures = (w: SideWindow) => ({
  requests: w.requests,
  errorRate: w.errorRate,
  p95Ms: w.p95Ms,
  p99Ms: w.p99Ms,
});

export function createStepBack(options: StepBackOptions): StepBack {
  const { store, stats, logger } = options;
  const margin: StepBackMargin = {
    errorRate: options.margin?.errorRate ?? 0.05,
    p99Factor: options.margin?.p99Factor ?? 2,
    p99SlackMs: options.margin?.p99SlackMs ?? 50,
  };
  const intervalMs = options.intervalMs ?? 5_000;
  const minRequests = options.minRequests ?? 50;
  const now = options.now ?? Date.now;
  const routeIds = options.table.filter((entry) => entry.new).map((entry) => entry.id);
  /** The last legacy window with at least minRequests, per route. */
  const baselines = new Map<string, SideWindow>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<StepTaken[]> | undefined;

  /** Why the new side regressed, or an empty list. */
  function regressions(fresh: SideWindow, legacy: SideWindow | undefined): string[] {
    const found: string[] = [];
    const legacyRate = legacy?.errorRate ?? 0;
    if (fresh.errorRate - legacyRate > margin.errorRate) {
      found.push(
        `error rate ${percent(fresh.errorRate)} over ${fresh.requests} requests vs legacy ${legacy ? percent(legacyRate) : 'unmeasured'} (margin ${percent(margin.errorRate)})`,
      );
    }
    if (legacy?.p99Ms != null && fresh.p99Ms !== null) {
      const limit = legacy.p99Ms * margin.p99Factor + margin.p99SlackMs;
      if (fresh.p99Ms > limit) {
        found.push(
          `p99 ${Math.round(fresh.p99Ms)} ms vs legacy ${Math.round(legacy.p99Ms)} ms (limit ${Math.round(limit)} ms)`,
        );
      }
    }
    return found;
  }

  async function judge(routeId: string): Promise<StepTaken | undefined> {
    const toggle = store.toggle(routeId);
    const legacyNow = stats.window(routeId, 'legacy');
    if (legacyNow.requests >= minRequests) baselines.set(routeId, legacyNow);
    if (toggle.mode !== 'canary' && toggle.mode !== 'extracted') return undefined;
    // Its own last step still has the traffic that caused it in the window: wait it out.
    if (
      toggle.changedBy === STEP_BACK_ACTOR &&
      toggle.changedAt !== null &&
      now() - Date.parse(toggle.changedAt) < stats.windowMs
    ) {
      return undefined;
    }
    const fresh = stats.window(routeId, 'new');
    if (fresh.requests < minRequests) return undefined;
    const legacy = baselines.get(routeId);
    const found = regressions(fresh, legacy);
    if (found.length === 0) return undefined;

    const from = { mode: toggle.mode, percentage: toggle.percentage };
    const to =
      toggle.mode === 'extracted'
        ? { mode: 'canary' as const, percentage: toggle.percentage || 50 }
        : { mode: 'shadow' as const, percentage: toggle.percentage };
    const reason = `new side regressed over the last ${Math.round(stats.windowMs / 1_000)} s: ${found.join('; ')}`;
    const figures: Figures = {
      new: sideFigures(fresh),
      ...(legacy && { legacy: sideFigures(legacy) }),
    };
    try {
      await store.change({
        routeId,
        ...to,
        reason,
        changedBy: STEP_BACK_ACTOR,
        figures,
        expectVersion: toggle.version,
      });
    } catch (error) {
      if (error instanceof ToggleError && error.code === 'version-moved') {
        logger?.info({ routeId }, 'step back skipped: the route moved meanwhile');
        return undefined;
      }
      throw error;
    }
    logger?.warn({ routeId, from, to, figures }, reason);
    return { routeId, from, to, reason };
  }

  async function checkAll(): Promise<StepTaken[]> {
    const taken: StepTaken[] = [];
    for (const routeId of routeIds) {
      try {
        const step = await judge(routeId);
        if (step) taken.push(step);
      } catch (error) {
        // The next interval judges again; one route's failure does not stop the others.
        logger?.warn({ err: error, routeId }, 'step back failed');
      }
    }
    return taken;
  }

  const check = (): Promise<StepTaken[]> => {
    // One pass at a time: a slow pass is not overtaken by the next interval's.
    running ??= checkAll().finally(() => {
      running = undefined;
    });
    return running;
  };

  return {
    start() {
      clearInterval(timer);
      timer = setInterval(() => void check(), intervalMs);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
    check,
  };
}
