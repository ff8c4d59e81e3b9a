// One upstream of the facade (the monolith, a service) as the routing code sees it: a call with
// a deadline goes in, a buffered answer or one of the upstream errors comes out. How it gets
// there (a pool per instance over the network, or a Hono app in this process) is the
// implementation's business.

/** The header that carries the time left for a request, in whole milliseconds. */
export { REQUEST_BUDGET_HEADER } from '../../src/platform/http/request-budget.ts';

/** Retries of one call: exponential backoff with full jitter, under the upstream's budget. */
export interface RetrySchedule {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface UpstreamCall {
  method: string;
  /** The path with its query. */
  path: string;
  /** Lower-case names. */
  headers: Record<string, string>;
  body?: Uint8Array | string;
  /** `performance.now()` ms by which the call, retries included, has ended. */
  deadlineAt: number;
  /** The client went away: the attempt in flight is aborted and nothing is retried. */
  signal?: AbortSignal;
  /**
   * Undefined: one attempt. Only the caller knows whether the request is safe to send again
   * (a safe method, or a write carrying an Idempotency-Key), so only it may pass a schedule.
   */
  retry?: RetrySchedule;
  /**
   * The caller only passes the answer on to its client: an upstream in this process may then
   * answer with the app's own Response, unread (`response`), rather than a copy of it.
   */
  asIs?: boolean;
}

export interface UpstreamAnswer {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string | string[]>;
  body: Uint8Array;
  /** The base URL of the instance that answered. */
  instance: string;
  /** Attempts made, this one included. */
  attempts: number;
  /** With `asIs`, from an app in this process: its answer, unread; `headers` and `body` are empty. */
  response?: Response;
}

export type CircuitPosition = 'closed' | 'open' | 'half-open';

export interface UpstreamState {
  circuit: CircuitPosition;
  /** Calls running, and calls waiting for a bulkhead slot. */
  active: number;
  queued: number;
  instances: Array<{ url: string; healthy: boolean; ejectedUntil: string | null }>;
}

export interface Upstream {
  name: string;
  send(call: UpstreamCall): Promise<UpstreamAnswer>;
  state(): UpstreamState;
  close(): Promise<void>;
}
