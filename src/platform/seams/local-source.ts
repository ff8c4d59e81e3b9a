import { eq, sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { seamSettings } from './schema.ts';
import type { SeamPlacement, SeamSource, SeamState } from './seam-source.ts';

export interface LocalSeamSourceOptions<A extends string> {
  db: Database;
  name: string;
  adapters: readonly A[];
  /** What the seam uses until an admin changes it (configuration). */
  initial: A;
  cacheMs?: number;
}

/**
 * A seam's own setting, in the component's database (`platform.seam_settings`), so every replica
 * follows one truth, each at most `cacheMs` late.
 */
export function localSeamSource<A extends string>(
  options: LocalSeamSourceOptions<A>,
): SeamSource<A> {
  const { db, name, adapters, initial } = options;
  const cacheMs = options.cacheMs ?? 1_000;
  const known = (adapter: string): adapter is A =>
    (adapters as readonly string[]).includes(adapter);
  let cached: { placement: SeamPlacement<A>; at: number } | undefined;

  async function load(): Promise<SeamPlacement<A>> {
    const [row] = await db.select().from(seamSettings).where(eq(seamSettings.seam, name));
    const state: SeamState<A> =
      row && known(row.adapter)
        ? {
            seam: name,
            adapter: row.adapter,
            split: null,
            version: row.version,
            changedAt: row.changedAt.toISOString(),
            changedBy: row.changedBy,
            reason: row.reason,
            follows: null,
          }
        : {
            seam: name,
            adapter: initial,
            split: null,
            version: 0,
            changedAt: null,
            changedBy: null,
            reason: null,
            follows: null,
          };
    const placement = { state, adapterFor: () => state.adapter };
    cached = { placement, at: performance.now() };
    return placement;
  }

  return {
    async read({ fresh = false } = {}) {
      return !fresh && cached && performance.now() - cached.at < cacheMs
        ? cached.placement
        : load();
    },
    async set({ adapter, reason, changedBy }) {
      await db
        .insert(seamSettings)
        .values({ seam: name, adapter, version: 1, reason, changedBy })
        .onConflictDoUpdate({
          target: seamSettings.seam,
          set: {
            adapter,
            reason,
            changedBy: changedBy ?? null,
            version: sql`${seamSettings.version} + 1`,
            changedAt: sql`now()`,
          },
        });
      await load();
    },
  };
}
