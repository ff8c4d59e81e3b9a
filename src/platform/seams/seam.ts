import { eq, sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { seamPins, seamSettings } from './schema.ts';

// An internal seam of the strangler fig: a port the monolith can have answered by the legacy
// module in this process or by the extracted service over HTTP, switched at runtime. The
// setting lives in the component's database, so every replica follows one truth; each reads it
// at most `cacheMs` late. Work already under way stays with the adapter it started on (pins).
// A pin lives as long as the work it names (an order can still be cancelled, and refunded,
// long after its checkout): pins are not pruned, like the orders they belong to.

export interface SeamState<A extends string> {
  seam: string;
  adapter: A;
  /** 0 while the seam follows its configuration (nobody changed it yet). */
  version: number;
  changedAt: string | null;
  changedBy: string | null;
  reason: string | null;
}

export interface Seam<A extends string> {
  name: string;
  adapters: readonly A[];
  /** The adapter new work goes to (read at most `cacheMs` ago). */
  current(): Promise<A>;
  /**
   * The adapter the work `key` (an order id) uses: the one it was first sent to, or, for new
   * work, the current one, recorded so every later call about it goes the same way.
   */
  pin(key: string): Promise<A>;
  state(): Promise<SeamState<A>>;
  /** Points new work at `adapter`; takes effect on every replica within `cacheMs`. */
  set(change: { adapter: A; reason: string; changedBy?: string }): Promise<SeamState<A>>;
}

export interface SeamOptions<A extends string> {
  db: Database;
  name: string;
  adapters: readonly [A, ...A[]];
  /** What the seam uses until an admin changes it (configuration). */
  initial: A;
  cacheMs?: number;
}

export function createSeam<A extends string>(options: SeamOptions<A>): Seam<A> {
  const { db, name, adapters, initial } = options;
  const cacheMs = options.cacheMs ?? 1_000;
  const known = (adapter: string): adapter is A =>
    (adapters as readonly string[]).includes(adapter);
  let cached: { state: SeamState<A>; at: number } | undefined;

  async function read(): Promise<SeamState<A>> {
    const [row] = await db.select().from(seamSettings).where(eq(seamSettings.seam, name));
    const state: SeamState<A> =
      row && known(row.adapter)
        ? {
            seam: name,
            adapter: row.adapter,
            version: row.version,
            changedAt: row.changedAt.toISOString(),
            changedBy: row.changedBy,
            reason: row.reason,
          }
        : {
            seam: name,
            adapter: initial,
            version: 0,
            changedAt: null,
            changedBy: null,
            reason: null,
          };
    cached = { state, at: performance.now() };
    return state;
  }

  const current = async () =>
    cached && performance.now() - cached.at < cacheMs
      ? cached.state.adapter
      : (await read()).adapter;

  return {
    name,
    adapters,
    current,
    async pin(key) {
      const adapter = await current();
      const [pinned] = await db
        .insert(seamPins)
        .values({ seam: name, key, adapter })
        .onConflictDoUpdate({
          // A no-op update, so the existing pin comes back in the same statement.
          target: [seamPins.seam, seamPins.key],
          set: { adapter: sql`${seamPins.adapter}` },
        })
        .returning({ adapter: seamPins.adapter });
      if (!pinned || !known(pinned.adapter)) {
        throw new Error(`seam ${name}: ${key} is pinned to an unknown adapter`);
      }
      return pinned.adapter;
    },
    state: read,
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
      return read();
    },
  };
}
