import { desc, eq, sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Database, Executor } from '../../src/platform/db/database.ts';
import { closeRedis } from '../../src/platform/queue/redis.ts';
import { withDeadline } from '../../src/platform/resilience/deadline.ts';
import type { Mode as RouteMode } from '../routes/modes.ts';
import { routeToggles, toggleJournal, toggleReplicas, toggleVersion } from '../schema.ts';
import type { Figures } from './figures.ts';
import type { JournalEntry, Replica, RouteToggle } from './toggle.ts';
import { ToggleError } from './toggle-error.ts';

// The facade's route toggles. PostgreSQL is the truth; each replica serves requests from an
// in-memory snapshot of it. A change publishes its version on Redis so every other replica
// reloads at once; a replica that hears nothing (no Redis, Redis down, a message lost) polls
// every `pollMs`, and while subscribed still polls every `safetyPollMs` as a safety net.

export interface ToggleSnapshot {
  /** The global version this replica applies: the highest version among its toggles. */
  version: number;
  /** Every route that was ever changed; the others are in their initial mode. */
  routes: ReadonlyMap<string, RouteToggle>;
}

export interface Placement {
  mode: RouteMode;
  percentage: number;
}

export interface ToggleChange {
  routeId: string;
  mode: RouteMode;
  /** Defaults to the route's percentage now. */
  percentage?: number;
  reason: string;
  changedBy: string;
  /** Moved past the parity gate's refusal, on the admin's word. */
  forced?: boolean;
  figures?: Figures;
  /**
   * Compare-and-set: the route's version the change was decided on (0: never changed). When
   * another change came first, it is refused with `version-moved` and nothing is written.
   */
  expectVersion?: number;
}

export interface RollbackRequest {
  changedBy: string;
  reason: string;
  figures?: Figures;
}

/** How a replica learned of the version it applies now. */
export type AppliedVia = 'start' | 'change' | 'message' | 'poll' | 'resubscribe';

export interface ToggleStore {
  /** Loads the toggles, subscribes (when Redis is given) and starts polling. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** This replica's snapshot: no query. */
  current(): ToggleSnapshot;
  /** One route's toggle from the snapshot, or its initial placement (version 0). */
  toggle(routeId: string): RouteToggle;
  /** Changes a route in one transaction (toggle, version, journal row); applied here at once. */
  change(change: ToggleChange): Promise<RouteToggle>;
  /** Puts a route back where it was before its last change (journaled as a rollback). */
  rollback(routeId: string, request: RollbackRequest): Promise<RouteToggle>;
  /** Newest first; one route's, or every route's. */
  journal(routeId?: string, limit?: number): Promise<JournalEntry[]>;
  /** The global version, and each replica's applied version and lag. */
  replicas(): Promise<{ version: number; items: Replica[] }>;
  /** Called whenever this replica applies a newer version. */
  onApplied(listener: (version: number, via: AppliedVia) => void): () => void;
}

export interface ToggleStoreOptions {
  db: Database;
  /** Publishes changes; the store makes its own subscriber connection from it (`duplicate`). */
  redis?: Redis | undefined;
  /** Redis key prefix; the channel is `<prefix>:facade:toggles`. */
  prefix: string;
  replicaId: string;
  /** How often to poll while not subscribed; at most 1 s. */
  pollMs: number;
  /** How often to poll while subscribed (missed messages, replica heartbeat); default 5 s. */
  safetyPollMs?: number;
  /** Bound on every Redis wait (publish, subscribe, close); default 500 ms. */
  redisTimeoutMs?: number;
  /** Where a route that was never changed is; default `monolith`, 0%. */
  initial?: (routeId: string) => Placement;
  logger?: Logger;
}

const toToggle = (row: typeof routeToggles.$inferSelect): RouteToggle => ({
  routeId: row.routeId,
  mode: row.mode,
  percentage: row.percentage,
  version: row.version,
  changedAt: row.changedAt.toISOString(),
  changedBy: row.changedBy,
  reason: row.reason,
});

const toEntry = (row: typeof toggleJournal.$inferSelect): JournalEntry => ({
  id: row.id,
  routeId: row.routeId,
  version: row.version,
  kind: row.kind,
  changedAt: row.changedAt.toISOString(),
  changedBy: row.changedBy,
  from: { mode: row.fromMode, percentage: row.fromPercentage },
  to: { mode: row.toMode, percentage: row.toPercentage },
  reason: row.reason,
  forced: row.forced,
  figures: row.figures,
});

export function createToggleStore(options: ToggleStoreOptions): ToggleStore {
  const { db, redis, replicaId, logger } = options;
  if (!(options.pollMs > 0 && options.pollMs <= 1_000)) {
    throw new RangeError(`pollMs must be within (0, 1000]; got ${options.pollMs}`);
  }
  const pollMs = options.pollMs;
  const safetyPollMs = options.safetyPollMs ?? 5_000;
  const redisTimeoutMs = options.redisTimeoutMs ?? 500;
  const initial = options.initial ?? (() => ({ mode: 'monolith' as const, percentage: 0 }));
  const channel = `${options.prefix}:facade:toggles`;

  let snapshot: ToggleSnapshot = { version: 0, routes: new Map() };
  const listeners = new Set<(version: number, via: AppliedVia) => void>();
  let subscriber: Redis | undefined;
  let subscribed = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  async function load(via: AppliedVia): Promise<void> {
    // One statement, so the snapshot is consistent; every change sets one row to its version,
    // so the highest row version is the global version.
    const rows = await db.select().from(routeToggles);
    const version = rows.reduce((max, row) => Math.max(max, row.version), 0);
    const newer = version > snapshot.version || via === 'start';
    if (newer) {
      snapshot = { version, routes: new Map(rows.map((row) => [row.routeId, toToggle(row)])) };
    }
    await db
      .insert(toggleReplicas)
      .values({ replicaId, appliedVersion: snapshot.version })
      .onConflictDoUpdate({
        target: toggleReplicas.replicaId,
        set: { appliedVersion: snapshot.version, seenAt: sql`now()` },
      });
    // Once recorded, so whoever hears of it finds this replica's row up to date.
    if (newer) for (const listener of listeners) listener(version, via);
  }

  // One load at a time; a request during a load gets the next one, which starts after it.
  let running: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  function refresh(via: AppliedVia): Promise<void> {
    if (!running) {
      running = load(via).finally(() => {
        running = undefined;
      });
      return running;
    }
    queued ??= running
      .catch(() => {})
      .then(() => {
        queued = undefined;
        return refresh(via);
      });
    return queued;
  }
  const refreshQuietly = (via: AppliedVia) =>
    refresh(via).catch((error: unknown) =>
      logger?.warn({ err: error, via }, 'toggle reload failed; the next poll retries'),
    );

  function schedule(): void {
    clearTimeout(timer);
    if (stopped) return;
    timer = setTimeout(
      async () => {
        await refreshQuietly('poll');
        schedule();
      },
      subscribed ? safetyPollMs : pollMs,
    );
    timer.unref();
  }

  async function subscribe(client: Redis): Promise<void> {
    if (client !== subscriber) return;
    try {
      await withDeadline(client.subscribe(channel), redisTimeoutMs, 'toggle subscribe');
      subscribed = true;
      schedule();
      // Whatever was published while this replica was not listening.
      await refreshQuietly('resubscribe');
    } catch (error) {
      logger?.warn({ err: error }, 'toggle subscribe failed; polling');
    }
  }

  /** Resolves once subscribed for the first time, or once that failed (then: polling). */
  function startSubscriber(source: Redis): Promise<void> {
    const client = source.duplicate({
      lazyConnect: true,
      // Subscribed again by hand on every `ready`, then reloaded: nothing published meanwhile
      // is lost.
      autoResubscribe: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (times: number) => Math.min(times * 100, 1_000),
    });
    subscriber = client;
    client.on('error', (error) => logger?.warn({ err: error }, 'toggle subscriber error'));
    client.on('close', () => {
      if (!subscribed) return;
      subscribed = false;
      schedule();
    });
    client.on('message', (_channel: string, message: string) => {
      if (Number(message) > snapshot.version) void refreshQuietly('message');
    });
    return new Promise<void>((resolve) => {
      // Subscribed again on every `ready` (a reconnect too); the first one settles start().
      client.on('ready', () => void subscribe(client).finally(resolve));
      client.connect().catch((error: unknown) => {
        logger?.warn({ err: error }, 'toggle subscriber cannot reach redis; polling');
        resolve();
      });
    });
  }

  async function announce(version: number): Promise<void> {
    await refreshQuietly('change');
    if (!redis) return;
    await withDeadline(redis.publish(channel, String(version)), redisTimeoutMs, 'toggle publish')
      // The others poll: a lost message only makes them a poll late.
      .catch((error: unknown) => logger?.warn({ err: error }, 'toggle publish failed'));
  }

  /** Sets a route, numbering and journaling it; the caller holds the transaction. */
  async function write(
    routeId: string,
    kind: 'change' | 'rollback',
    decide: (
      tx: Executor,
      from: Placement,
    ) => Promise<Placement & { forced: boolean; figures: Figures }>,
    meta: { changedBy: string; reason: string; expectVersion?: number | undefined },
  ): Promise<RouteToggle> {
    const reason = meta.reason.trim();
    if (reason === '') throw new ToggleError('reason-required', 'A change needs a reason.');
    const row = await db.transaction(async (tx) => {
      // Taken first: its row lock serialises every change, so versions go up by one.
      const [next] = await tx
        .insert(toggleVersion)
        .values({ id: 1, version: 1 })
        .onConflictDoUpdate({
          target: toggleVersion.id,
          set: { version: sql`${toggleVersion.version} + 1` },
        })
        .returning({ version: toggleVersion.version });
      if (!next) throw new Error('toggle version row missing');
      const [before] = await tx
        .select()
        .from(routeToggles)
        .where(eq(routeToggles.routeId, routeId));
      // Read under the version row's lock: no other change can land between this and the write.
      if (meta.expectVersion !== undefined && (before?.version ?? 0) !== meta.expectVersion) {
        throw new ToggleError(
          'version-moved',
          `Route ${routeId} is at version ${before?.version ?? 0}, not ${meta.expectVersion}.`,
        );
      }
      const from = before ?? initial(routeId);
      const to = await decide(tx, from);
      if (!Number.isInteger(to.percentage) || to.percentage < 0 || to.percentage > 100) {
        throw new ToggleError('percentage-out-of-range', 'A percentage is a whole 0–100.');
      }
      const values = {
        mode: to.mode,
        percentage: to.percentage,
        version: next.version,
        changedAt: sql`now()`,
        changedBy: meta.changedBy,
        reason,
      };
      const [after] = await tx
        .insert(routeToggles)
        .values({ routeId, ...values })
        .onConflictDoUpdate({ target: routeToggles.routeId, set: values })
        .returning();
      if (!after) throw new Error('toggle row missing');
      await tx.insert(toggleJournal).values({
        routeId,
        version: next.version,
        kind,
        changedAt: after.changedAt,
        changedBy: meta.changedBy,
        fromMode: from.mode,
        fromPercentage: from.percentage,
        toMode: to.mode,
        toPercentage: to.percentage,
        reason,
        forced: to.forced,
        figures: to.figures,
      });
      return after;
    });
    await announce(row.version);
    return toToggle(row);
  }

  return {
    async start() {
      stopped = false;
      await refresh('start');
      schedule();
      if (redis)
        await withDeadline(startSubscriber(redis), 2 * redisTimeoutMs, 'toggle subscriber').catch(
          () => {},
        );
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      subscribed = false;
      const client = subscriber;
      subscriber = undefined;
      if (client) await closeRedis(client, redisTimeoutMs);
      if (running) await withDeadline(running, 5_000, 'toggle reload').catch(() => {});
    },
    current: () => snapshot,
    toggle(routeId) {
      return (
        snapshot.routes.get(routeId) ?? {
          routeId,
          ...initial(routeId),
          version: 0,
          changedAt: null,
          changedBy: null,
          reason: null,
        }
      );
    },
    change(change) {
      return write(
        change.routeId,
        'change',
        async (_tx, from) => ({
          mode: change.mode,
          percentage: change.percentage ?? from.percentage,
          forced: change.forced ?? false,
          figures: change.figures ?? {},
        }),
        change,
      );
    },
    rollback(routeId, request) {
      return write(
        routeId,
        'rollback',
        async (tx) => {
          const [last] = await tx
            .select()
            .from(toggleJournal)
            .where(eq(toggleJournal.routeId, routeId))
            .orderBy(desc(toggleJournal.version))
            .limit(1);
          if (!last) {
            throw new ToggleError('nothing-to-roll-back', `Route ${routeId} was never changed.`);
          }
          return {
            mode: last.fromMode,
            percentage: last.fromPercentage,
            forced: false,
            figures: request.figures ?? {},
          };
        },
        request,
      );
    },
    async journal(routeId, limit = 50) {
      const rows = await db
        .select()
        .from(toggleJournal)
        .where(routeId === undefined ? undefined : eq(toggleJournal.routeId, routeId))
        .orderBy(desc(toggleJournal.version))
        .limit(limit);
      return rows.map(toEntry);
    },
    async replicas() {
      const [global] = await db.select({ version: toggleVersion.version }).from(toggleVersion);
      const version = global?.version ?? 0;
      const rows = await db.select().from(toggleReplicas).orderBy(toggleReplicas.replicaId);
      return {
        version,
        items: rows.map((row) => ({
          replicaId: row.replicaId,
          appliedVersion: row.appliedVersion,
          lag: Math.max(0, version - row.appliedVersion),
          seenAt: row.seenAt.toISOString(),
        })),
      };
    },
    onApplied(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
