import type { RouteMode } from '../routing/route-modes.ts';

// Where a seam learns which adapter new work goes to: its own setting in the component's database
// (local-source.ts), or the facade's toggle of the route that owns the seam's traffic
// (route-toggle-source.ts), so who owns those writes is one decision.

/** The facade's toggle a seam follows, as last heard. */
export interface FollowedRoute {
  /** The facade's base URL. */
  facade: string;
  routeId: string;
  /** The route's mode and percentage; null while the facade never answered. */
  mode: RouteMode | null;
  percentage: number | null;
  /** When the facade last answered; null while it never has (the seam uses its initial adapter). */
  heardAt: string | null;
}

export interface SeamState<A extends string> {
  seam: string;
  /** Where new work goes; while split, where the work outside the split goes. */
  adapter: A;
  /** While set, new work whose key falls in the first `percentage` buckets goes to `adapter`. */
  split: { adapter: A; percentage: number } | null;
  /** 0 while the seam follows its configuration (nobody changed it yet). */
  version: number;
  changedAt: string | null;
  changedBy: string | null;
  reason: string | null;
  /** Set when the seam follows a route of the facade instead of a setting of its own. */
  follows: FollowedRoute | null;
}

/** What a source read: the state to show, and the adapter it sends each new piece of work to. */
export interface SeamPlacement<A extends string> {
  state: SeamState<A>;
  adapterFor(key: string): A;
}

export interface SeamChange<A extends string> {
  adapter: A;
  reason: string;
  changedBy?: string | undefined;
}

export interface SeamSource<A extends string> {
  /** The placement now: at most the source's cache time old unless `fresh`. */
  read(options?: { fresh?: boolean }): Promise<SeamPlacement<A>>;
  /** Points new work at `adapter`; a source that follows another component throws SeamSetElsewhere. */
  set(change: SeamChange<A>): Promise<void>;
}

/** The seam follows another component's toggle: it is changed there, not here. */
export class SeamSetElsewhere extends Error {
  override name = 'SeamSetElsewhere';
}
