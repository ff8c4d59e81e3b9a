import type { Logger } from 'pino';
import { serviceCallHeaders } from '../auth/service-caller.ts';
import type { ServiceTokenSource } from '../auth/service-tokens.ts';
import { createServiceClient } from '../http/service-client.ts';
import { withDeadline } from '../resilience/deadline.ts';
import { sideFor } from '../routing/canary.ts';
import { type RouteToggleState, routeToggleStateSchema } from '../routing/route-modes.ts';
import {
  type SeamPlacement,
  SeamSetElsewhere,
  type SeamSource,
  type SeamState,
} from './seam-source.ts';

// A seam that follows the facade's toggle of the route owning the same traffic: one decision for
// who serves those writes, whether they come through the facade or from inside the monolith.
// The facade may be briefly away (a restart, a deploy): the seam then keeps the last state it
// heard (or its initial adapter), so a checkout never fails or waits for it beyond the timeout.

/** The longest a read may wait on the facade: it sits on every checkout's path. */
export const MAX_TOGGLE_TIMEOUT_MS = 500;

export interface RemoteToggleSourceOptions<A extends string> {
  /** The facade's base URL. */
  url: string;
  /** The route whose toggle the seam follows, e.g. `payments.write.capture`. */
  routeId: string;
  seam: string;
  /** The adapter serving the route's legacy side, and the one serving its new side. */
  sides: { legacy: A; new: A };
  /** Where new work goes while the facade was never heard from. */
  initial: A;
  /** The canary's sticky key of a piece of work (`order:<id>`): the facade's split, per order. */
  stickyKey(key: string): string;
  /** This component's service tokens; calls carry one for the audience `facade`. */
  serviceTokens: ServiceTokenSource;
  /** Bound on one read of the facade (connect, send, answer); at most 500 ms, the default. */
  timeoutMs?: number;
  /** How long a read (or a failed attempt) holds before the facade is asked again; 1 s. */
  cacheMs?: number;
  logger?: Logger | undefined;
}

export interface RemoteToggleSource<A extends string> extends SeamSource<A> {
  close(): Promise<void>;
}

export function remoteToggleSource<A extends string>(
  options: RemoteToggleSourceOptions<A>,
): RemoteToggleSource<A> {
  const { url, routeId, seam, sides, initial, stickyKey, serviceTokens, logger } = options;
  const timeoutMs = options.timeoutMs ?? MAX_TOGGLE_TIMEOUT_MS;
  const cacheMs = options.cacheMs ?? 1_000;
  if (!(timeoutMs > 0 && timeoutMs <= MAX_TOGGLE_TIMEOUT_MS)) {
    throw new RangeError(
      `timeoutMs must be within (0, ${MAX_TOGGLE_TIMEOUT_MS}]; got ${timeoutMs}`,
    );
  }
  const client = createServiceClient({
    baseUrl: url,
    timeoutMs,
    connections: 2,
    headers: () => serviceCallHeaders(serviceTokens, 'facade'),
  });
  const path = `/_facade/internal/toggles/${encodeURIComponent(routeId)}`;

  let heard: { toggle: RouteToggleState; at: Date } | undefined;
  /** When the facade was last asked, answered or not: a failure is not retried sooner either. */
  let askedAt: number | undefined;
  let asking: Promise<void> | undefined;
  let away = false;

  async function ask(): Promise<void> {
    try {
      const answer = await withDeadline(
        client.call({ method: 'GET', path }),
        timeoutMs,
        `GET ${path}`,
      );
      if (answer.status !== 200) throw new Error(`the facade answered ${answer.status}`);
      const toggle = routeToggleStateSchema.parse(answer.body);
      if (toggle.routeId !== routeId) throw new Error(`the facade answered for ${toggle.routeId}`);
      // A replica of the facade that lags answers an older version: the newer one stands.
      if (!heard || toggle.version >= heard.toggle.version) heard = { toggle, at: new Date() };
      if (away) logger?.info({ routeId }, 'the facade answers again; the seam follows its toggle');
      away = false;
    } catch (error) {
      // Once per outage: every checkout meanwhile would repeat it.
      if (!away) {
        logger?.warn(
          { err: error, routeId, adapter: heard ? 'last known' : initial },
          'cannot read the route toggle from the facade; the seam keeps its last known state',
        );
      }
      away = true;
    } finally {
      askedAt = performance.now();
    }
  }

  function placement(): SeamPlacement<A> {
    const toggle = heard?.toggle;
    const follows = {
      facade: url,
      routeId,
      mode: toggle?.mode ?? null,
      percentage: toggle?.percentage ?? null,
      heardAt: heard?.at.toISOString() ?? null,
    };
    const base = {
      seam,
      version: toggle?.version ?? 0,
      changedAt: null,
      changedBy: null,
      reason: null,
      follows,
    };
    if (toggle?.mode === 'canary') {
      const { percentage } = toggle;
      const state: SeamState<A> = {
        ...base,
        adapter: sides.legacy,
        split: { adapter: sides.new, percentage },
      };
      return {
        state,
        adapterFor: (key) =>
          sideFor({ routeId, percentage, stickyKey: stickyKey(key) }) === 'new'
            ? sides.new
            : sides.legacy,
      };
    }
    const adapter = toggle === undefined ? initial : adapterOfMode(toggle.mode, sides);
    return { state: { ...base, adapter, split: null }, adapterFor: () => adapter };
  }

  return {
    async read({ fresh = false } = {}) {
      const due = fresh || askedAt === undefined || performance.now() - askedAt >= cacheMs;
      if (due) {
        // Concurrent readers share one request.
        asking ??= ask().finally(() => {
          asking = undefined;
        });
        await asking;
      }
      return placement();
    },
    async set() {
      throw new SeamSetElsewhere(
        `The seam ${seam} follows the facade's route ${routeId}: change it there (PUT /_facade/api/routes/${routeId}).`,
      );
    },
    close: () => client.close(),
  };
}

/** Which side serves new work in a mode without a split: legacy until the route serves new. */
function adapterOfMode<A extends string>(
  mode: Exclude<RouteToggleState['mode'], 'canary'>,
  sides: { legacy: A; new: A },
): A {
  switch (mode) {
    case 'monolith':
    case 'shadow':
      // Shadow mirrors the facade's requests with a dry run; the seam's own captures are real.
      return sides.legacy;
    case 'extracted':
    case 'retired':
      return sides.new;
  }
}
