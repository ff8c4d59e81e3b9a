import type { Principal } from '../../src/platform/auth/access-token.ts';
import type { RouteMatch } from '../routes/match.ts';

// What the facade's parts pass each other about one client request: the request as it is
// forwarded, an answer as the client would get it (legacy-shaped, whichever side served it),
// and the two sides a route can be served by.

/** Which side of a route served (or was asked). */
export type Side = 'legacy' | 'new';

/** A client request as the facade forwards it. */
export interface ForwardRequest {
  method: string;
  /** The path and query as the client sent them. */
  url: string;
  /** Lower-case names; hop-by-hop headers already removed. */
  headers: Record<string, string>;
  /** Read once at the edge (bounded by the body limit); undefined for none. */
  body: Uint8Array | undefined;
  requestId: string;
  /** W3C traceparent of this hop. */
  traceparent: string;
  /** The user the edge verified, if any. */
  user: Principal | undefined;
  /** When the whole request must be answered by (`performance.now()` ms). */
  deadlineAt: number;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
}

/** An answer in the legacy API's shape, buffered. */
export interface ForwardAnswer {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string | string[]>;
  body: Uint8Array;
  /** Asked `asIs` of an app in this process: its answer, unread; `headers` and `body` are empty. */
  response?: Response;
}

export interface SideCallOptions {
  /** Mirrored by shadow: marked with `x-facade-mirror: 1`, never retried, never a fallback. */
  mirrored?: boolean;
  /** A write mirrored under payments-service's dry run (`X-Dry-Run: true`). */
  dryRun?: boolean;
  /**
   * Retries of this call; the caller gives them only when repeating is safe (a safe method,
   * or a write carrying an Idempotency-Key). Absent: one attempt.
   */
  retry?: { maxAttempts: number; baseDelayMs: number; maxDelayMs: number } | undefined;
  /** When this call must end (the route's timeout); defaults to the request's deadline. */
  deadlineAt?: number;
  /** The answer only goes on to the client (nothing reads it): see UpstreamCall.asIs. */
  asIs?: boolean;
}

/** The two sides of the route table: legacy for any request, new for a route with a new side. */
export interface Sides {
  legacy(request: ForwardRequest, options?: SideCallOptions): Promise<ForwardAnswer>;
  /**
   * Through the route's ACL translator to its new target; answers in the legacy shape. A
   * property: written as a method, `new (…)` would be a construct signature.
   */
  new: (
    match: RouteMatch,
    request: ForwardRequest,
    options?: SideCallOptions,
  ) => Promise<ForwardAnswer>;
}
