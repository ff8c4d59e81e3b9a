import { sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import { builtOnce, placeholders } from '../db/prepared.ts';
import { localSeamSource } from './local-source.ts';
import { seamPins } from './schema.ts';
import type { SeamChange, SeamSource, SeamState } from './seam-source.ts';

// An internal seam of the strangler fig: a port the monolith can have answered by the legacy
// module in this process or by the extracted service over HTTP, switched at runtime. Which
// adapter new work goes to comes from a source (the seam's own setting, or the facade's toggle
// of the route that owns the same traffic). Work already under way stays with the adapter it
// started on (pins, in the component's database whatever the source). A pin lives as long as
// the work it names (an order can still be cancelled, and refunded, long after its checkout):
// pins are not pruned, like the orders they belong to.

export type { SeamState } from './seam-source.ts';

export interface Seam<A extends string> {
  name: string;
  adapters: readonly A[];
  /** The adapter new work `key` would go to now (read at most the source's cache time ago). */
  current(key: string): Promise<A>;
  /**
   * The adapter the work `key` (an order id) uses: the one it was first sent to, or, for new
   * work, the current one, recorded so every later call about it goes the same way.
   */
  pin(key: string): Promise<A>;
  state(): Promise<SeamState<A>>;
  /**
   * Points new work at `adapter`; takes effect on every replica within the cache time. A seam
   * that follows the facade refuses (SeamSetElsewhere).
   */
  set(change: SeamChange<A>): Promise<SeamState<A>>;
}

interface SeamBase<A extends string> {
  db: Database;
  name: string;
  adapters: readonly [A, ...A[]];
}

export type SeamOptions<A extends string> = SeamBase<A> &
  (
    | {
        /** What the seam uses until an admin changes it (its own setting). */
        initial: A;
        cacheMs?: number;
        source?: undefined;
      }
    | { source: SeamSource<A> }
  );

/** The pin of new work, or the pin it has: every order's payment is pinned, so built once. */
const pinOnce = builtOnce<{ seam: string; key: string; adapter: string }>()((db) =>
  db
    .insert(seamPins)
    .values(placeholders('seam', 'key', 'adapter'))
    .onConflictDoUpdate({
      // A no-op update, so the existing pin comes back in the same statement.
      target: [seamPins.seam, seamPins.key],
      set: { adapter: sql`${seamPins.adapter}` },
    })
    .returning({ adapter: seamPins.adapter }),
);

export function createSeam<A extends string>(options: SeamOptions<A>): Seam<A> {
  const { db, name, adapters } = options;
  const source =
    options.source ??
    localSeamSource({ db, name, adapters, initial: options.initial, cacheMs: options.cacheMs });
  const known = (adapter: string): adapter is A =>
    (adapters as readonly string[]).includes(adapter);
  const current = async (key: string) => (await source.read()).adapterFor(key);

  return {
    name,
    adapters,
    current,
    async pin(key) {
      const adapter = await current(key);
      const [pinned] = await pinOnce(db, { seam: name, key, adapter });
      if (!pinned || !known(pinned.adapter)) {
        throw new Error(`seam ${name}: ${key} is pinned to an unknown adapter`);
      }
      return pinned.adapter;
    },
    state: async () => (await source.read({ fresh: true })).state,
    async set(change) {
      await source.set(change);
      return (await source.read({ fresh: true })).state;
    },
  };
}
