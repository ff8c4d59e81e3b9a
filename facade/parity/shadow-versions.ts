import { and, desc, eq } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Database } from '../../src/platform/db/database.ts';
import { toggleJournal } from '../schema.ts';
import type { ToggleStore } from '../toggles/store.ts';

// The toggle version at which each route last entered `shadow`, from the journal: a route's
// parity counts from there, through canary and extracted too, so a move from canary on is gated
// by the shadow figures that led to it, and a new stay in shadow starts from zero.

export interface ShadowVersions {
  /** 0 for a route that never entered shadow. */
  of(routeId: string): number;
  start(): Promise<void>;
  stop(): void;
}

export function shadowVersions(db: Database, store: ToggleStore, logger: Logger): ShadowVersions {
  let since = new Map<string, number>();
  const load = async () => {
    const rows = await db
      .selectDistinctOn([toggleJournal.routeId], {
        routeId: toggleJournal.routeId,
        version: toggleJournal.version,
      })
      .from(toggleJournal)
      .where(and(eq(toggleJournal.toMode, 'shadow')))
      .orderBy(toggleJournal.routeId, desc(toggleJournal.version));
    since = new Map(rows.map((row) => [row.routeId, row.version]));
  };
  let unsubscribe: (() => void) | undefined;
  return {
    // In shadow, the snapshot already says since when: a comparison right after the move must
    // not wait for the journal's reload (it would count for the version before and be lost).
    of: (routeId) => {
      const toggle = store.toggle(routeId);
      return toggle.mode === 'shadow' ? toggle.version : (since.get(routeId) ?? 0);
    },
    async start() {
      await load();
      // Every version this replica applies may be a move into shadow.
      unsubscribe = store.onApplied(() => {
        load().catch((error: unknown) =>
          logger.warn({ err: error }, 'shadow versions reload failed; the next change retries'),
        );
      });
    },
    stop() {
      unsubscribe?.();
    },
  };
}
