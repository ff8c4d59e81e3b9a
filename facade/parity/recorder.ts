import { and, eq } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Database } from '../../src/platform/db/database.ts';
import { withDeadline } from '../../src/platform/resilience/deadline.ts';
import { type ParityFigures, parityFiguresSchema } from '../admin/overview-schema.ts';
import { routeParity } from '../schema.ts';
import { type Comparison, type FieldDiff, generalisePath } from './compare.ts';
import type { DiffSample } from './diff-sample.ts';

// Each route's shadow parity on this replica, counted in memory on the mirror's worker and
// flushed to `route_parity` (one row per route and replica) every `flushMs`, never on the request
// path. Counts belong to the route's stay in shadow: `versionOf` says the toggle version at which
// it last entered shadow, and a new one starts the counts from zero. Noise is legacy's, so it is
// kept across stays, and shared between replicas through their rows.

/** What a diff sample says of the request. */
export interface ComparedRequest {
  requestId: string;
  method: string;
  url: string;
}

export interface ParityRecorder {
  /** Loads the noise every replica learned, and starts flushing. */
  start(): Promise<void>;
  /** Stops flushing, after one last flush (bounded; a failure is logged). */
  stop(): Promise<void>;
  /** The route's noise paths (indexes generalised): learned here, or by any replica once flushed. */
  noise(routeId: string): ReadonlySet<string>;
  /** Paths where legacy's two answers to one request differed. */
  learnNoise(routeId: string, paths: readonly string[]): void;
  compared(routeId: string, request: ComparedRequest, result: Comparison): void;
  /** The new side failed a mirrored call (down, timed out): not a mismatch. */
  mirrorFailed(routeId: string): void;
  dropped(routeId: string, reason: string): void;
  /** The route's parity since it last entered shadow, over every replica (this one's unflushed too). */
  figures(routeId: string): Promise<ParityFigures>;
  /** Writes every route changed since the last flush; a route that fails stays due. */
  flush(): Promise<void>;
}

export interface ParityRecorderOptions {
  db: Database;
  replicaId: string;
  /** The toggle version at which the route last entered `shadow`. */
  versionOf(routeId: string): number;
  flushMs?: number;
  /** Diff samples kept per route. */
  maxDiffs?: number;
  /** Bound on one flush and on one figures read; default 2 s. */
  timeoutMs?: number;
  now?: () => Date;
  logger?: Logger;
  onCompared?: (routeId: string, equal: boolean) => void;
  onDropped?: (routeId: string, reason: string) => void;
}

/** Stands for a field one answer does not have (a diff's values are JSON, without undefined). */
export const absentValue = '(absent)';
/** Field diffs kept per sample, and the length a shown value is cut to. */
const maxFieldDiffs = 20;
const maxValueChars = 200;

interface Counts {
  samples: number;
  matches: number;
  mirrorErrors: number;
  drops: Record<string, number>;
  /** Oldest first. */
  diffs: DiffSample[];
}

interface RouteState extends Counts {
  since: number;
  /** Holds counts not yet written. */
  dirty: boolean;
  /** This replica's row for `since` is counted in: read once, before the first write. */
  based: boolean;
}

const zeroCounts = (): Counts => ({
  samples: 0,
  matches: 0,
  mirrorErrors: 0,
  drops: {},
  diffs: [],
});

const cut = (text: string) =>
  text.length > maxValueChars ? `${text.slice(0, maxValueChars)}…` : text;

function shown(value: unknown): unknown {
  if (value === undefined) return absentValue;
  if (typeof value === 'string') return cut(value);
  if (typeof value === 'object' && value !== null) {
    const text = JSON.stringify(value);
    return text.length > maxValueChars ? cut(text) : value;
  }
  return value;
}

const shownDiff = (diff: FieldDiff) => ({
  path: diff.path,
  legacy: shown(diff.legacy),
  new: shown(diff.new),
});

function addCounts(into: Counts, from: Counts): void {
  into.samples += from.samples;
  into.matches += from.matches;
  into.mirrorErrors += from.mirrorErrors;
  for (const [reason, count] of Object.entries(from.drops)) {
    into.drops[reason] = (into.drops[reason] ?? 0) + count;
  }
  into.diffs.push(...from.diffs);
}

export function createParityRecorder(options: ParityRecorderOptions): ParityRecorder {
  const { db, replicaId, versionOf, logger } = options;
  const flushMs = options.flushMs ?? 1_000;
  const maxDiffs = options.maxDiffs ?? 20;
  const timeoutMs = options.timeoutMs ?? 2_000;
  const now = options.now ?? (() => new Date());
  const routes = new Map<string, RouteState>();
  const noiseOf = new Map<string, Set<string>>();
  let timer: NodeJS.Timeout | undefined;
  let flushing = false;
  let tail: Promise<void> = Promise.resolve();

  /** The route's state for its current stay in shadow: a new stay starts from zero. */
  function touch(routeId: string): RouteState {
    const since = versionOf(routeId);
    let state = routes.get(routeId);
    if (state === undefined || state.since !== since) {
      state = { ...zeroCounts(), since, dirty: state !== undefined, based: false };
      routes.set(routeId, state);
    }
    return state;
  }

  function noiseSet(routeId: string): Set<string> {
    let noise = noiseOf.get(routeId);
    if (noise === undefined) {
      noise = new Set();
      noiseOf.set(routeId, noise);
    }
    return noise;
  }

  const safely = (hook: () => void) => {
    try {
      hook();
    } catch (error) {
      logger?.warn({ err: error }, 'parity hook failed');
    }
  };

  async function loadNoise(): Promise<void> {
    const rows = await db
      .select({ routeId: routeParity.routeId, noise: routeParity.noise })
      .from(routeParity);
    for (const row of rows) {
      const noise = noiseSet(row.routeId);
      for (const path of row.noise) noise.add(path);
    }
  }

  async function flushRoute(routeId: string, state: RouteState): Promise<void> {
    if (!state.based) {
      // A replica that restarts under the same id goes on from its row, never double counts:
      // the row is read (idempotent) before this replica first writes it.
      const [row] = await db
        .select()
        .from(routeParity)
        .where(and(eq(routeParity.routeId, routeId), eq(routeParity.replicaId, replicaId)));
      const current = routes.get(routeId) ?? state;
      if (row) {
        const noise = noiseSet(routeId);
        for (const path of row.noise) noise.add(path);
        if (row.sinceVersion === current.since) {
          const mine = current.diffs;
          addCounts(current, { ...row, diffs: [] });
          current.diffs = [...row.diffs, ...mine].slice(-maxDiffs);
        }
      }
      current.based = true;
      if (current !== state) return flushRoute(routeId, current);
    }
    const values = {
      routeId,
      replicaId,
      sinceVersion: state.since,
      samples: state.samples,
      matches: state.matches,
      mirrorErrors: state.mirrorErrors,
      drops: { ...state.drops },
      noise: [...noiseSet(routeId)],
      diffs: [...state.diffs],
    };
    state.dirty = false;
    try {
      const { routeId: _, replicaId: __, ...set } = values;
      await db
        .insert(routeParity)
        .values(values)
        .onConflictDoUpdate({
          target: [routeParity.routeId, routeParity.replicaId],
          set: { ...set, updatedAt: now() },
        });
    } catch (error) {
      state.dirty = true;
      throw error;
    }
  }

  async function flushAll(): Promise<void> {
    flushing = true;
    try {
      let failure: unknown;
      for (const [routeId, state] of [...routes]) {
        if (!state.dirty) continue;
        await flushRoute(routeId, state).catch((error: unknown) => {
          failure ??= error;
        });
      }
      await loadNoise();
      if (failure !== undefined) throw failure;
    } finally {
      flushing = false;
    }
  }

  function flush(): Promise<void> {
    // One flush at a time, each after the last one's statements settled (not merely timed out),
    // so an older row never lands over a newer one.
    const work = tail.then(flushAll);
    tail = work.catch(() => {});
    return withDeadline(work, timeoutMs, 'parity flush');
  }

  return {
    async start() {
      await withDeadline(loadNoise(), timeoutMs, 'parity noise load').catch((error: unknown) =>
        logger?.warn({ err: error }, 'parity noise not loaded; the next flush retries'),
      );
      clearInterval(timer);
      timer = setInterval(() => {
        if (flushing) return;
        flush().catch((error: unknown) =>
          logger?.warn({ err: error }, 'parity flush failed; the next flush retries'),
        );
      }, flushMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await flush().catch((error: unknown) =>
        logger?.warn({ err: error }, 'last parity flush failed; unflushed counts are lost'),
      );
    },
    noise: (routeId) => noiseSet(routeId),
    learnNoise(routeId, paths) {
      const noise = noiseSet(routeId);
      const state = touch(routeId);
      for (const path of paths) {
        const general = generalisePath(path);
        if (noise.has(general)) continue;
        noise.add(general);
        state.dirty = true;
      }
    },
    compared(routeId, request, result) {
      const state = touch(routeId);
      state.samples += 1;
      if (result.equal) state.matches += 1;
      else {
        state.diffs.push({
          requestId: request.requestId,
          method: request.method,
          url: cut(request.url),
          at: now().toISOString(),
          diffs: result.diffs.slice(0, maxFieldDiffs).map(shownDiff),
        });
        if (state.diffs.length > maxDiffs) state.diffs.splice(0, state.diffs.length - maxDiffs);
      }
      state.dirty = true;
      safely(() => options.onCompared?.(routeId, result.equal));
    },
    mirrorFailed(routeId) {
      const state = touch(routeId);
      state.mirrorErrors += 1;
      state.dirty = true;
    },
    dropped(routeId, reason) {
      const state = touch(routeId);
      state.drops[reason] = (state.drops[reason] ?? 0) + 1;
      state.dirty = true;
      safely(() => options.onDropped?.(routeId, reason));
    },
    async figures(routeId) {
      const rows = await withDeadline(
        db.select().from(routeParity).where(eq(routeParity.routeId, routeId)),
        timeoutMs,
        'parity figures',
      );
      const state = touch(routeId);
      const total = zeroCounts();
      const noise = new Set(noiseSet(routeId));
      for (const row of rows) {
        for (const path of row.noise) noise.add(path);
        if (row.sinceVersion !== state.since) continue;
        // Until this replica read its own row in, its memory holds only what the row lacks.
        if (row.replicaId === replicaId && state.based) continue;
        addCounts(total, row);
      }
      addCounts(total, state);
      const diffs = total.diffs
        .sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0))
        .slice(0, maxDiffs);
      return parityFiguresSchema.parse({
        samples: total.samples,
        matchRate: total.samples === 0 ? null : total.matches / total.samples,
        mismatches: total.samples - total.matches,
        mirrorErrors: total.mirrorErrors,
        drops: total.drops,
        noise: [...noise].sort(),
        diffs,
      });
    },
    flush,
  };
}
