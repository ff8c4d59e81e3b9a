import type { Context } from 'hono';
import { takeAnswerHeaders } from '../../src/platform/http/answer-headers.ts';
import type { AppEnv } from '../../src/platform/http/app-env.ts';
import { nodeHeadersOf } from '../../src/platform/http/node-request.ts';
import { ProblemError, problemResponse } from '../../src/platform/http/problem.ts';
import { randomHex } from '../../src/platform/http/random-hex.ts';
import { SECURE_HEADER_NAMES } from '../../src/platform/http/secure-headers.ts';
import { allowedMethods, matchRoute, type RouteMatch } from '../routes/match.ts';
import type { UpstreamFailure } from '../routes/modes.ts';
import type { RouteEntry, RouteTable } from '../routes/route-entry.ts';
import { sideFor } from '../routing/canary.ts';
import type { Exchange } from '../stats/metrics.ts';
import type { ToggleStore } from '../toggles/store.ts';
import { UpstreamRejected, UpstreamTimeout } from '../upstream/upstream-errors.ts';
import { upstreamProblem } from '../upstream/upstream-problem.ts';
import type { ForwardAnswer, ForwardRequest, Side, Sides } from './exchange.ts';
import { clientHeaders } from './forward-headers.ts';

// The facade's one catch-all handler. Per request it reads the route table and this replica's
// toggle snapshot (no query), so a change applies to the next request without re-registering
// anything: which side serves, whether the new side's failure falls back to legacy, and whether
// the request is mirrored for shadow parity.

/** A request shadow mirrors to the new side once legacy has answered the client. */
export interface MirrorJob {
  match: RouteMatch;
  request: ForwardRequest;
  legacy: ForwardAnswer;
  legacyMs: number;
}

export interface ProxyOptions {
  table: RouteTable;
  toggles: Pick<ToggleStore, 'toggle'>;
  sides: Sides;
  /** Shadow's mirror; offer never waits. */
  mirror?: { offer(job: MirrorJob): boolean };
  record?(exchange: Exchange): void;
  /** A short cache of public reads, asked before forwarding. */
  cache?: {
    lookup(request: ForwardRequest): Promise<ForwardAnswer | undefined>;
    /** Whether `store` needs this request's answer (read, to keep or label it). */
    keeps(request: ForwardRequest): boolean;
    /** Keeps a 200 answer; returns the answer to send (marked as a miss). */
    store(request: ForwardRequest, answer: ForwardAnswer): Promise<ForwardAnswer>;
  };
  /** An admin's `x-route-to`; undefined for anyone else. */
  override?(c: Context<AppEnv>): Side | undefined;
  /** The key a request sticks to its canary side by (the user, else the client). */
  stickyKey(c: Context<AppEnv>): string;
  /** The bound on an unmatched request, and on any request that brought no budget. */
  defaultTimeoutMs: number;
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
/** The route id metrics give a request no entry matches (the monolith's own routes). */
const UNMATCHED = 'unmatched';
const UNMATCHED_RETRY = { maxAttempts: 2, baseDelayMs: 25, maxDelayMs: 250 };

/** Whether a request may be sent twice: a safe method, or a write with an Idempotency-Key. */
function repeatable(request: ForwardRequest, writes: RouteEntry['retry']['writes']): boolean {
  if (SAFE.has(request.method)) return true;
  return writes === 'with-idempotency-key' && request.headers['idempotency-key'] !== undefined;
}

/** The failures after which nothing reached the upstream, and the timeout, as fallbacks know them. */
function failureOf(error: unknown): UpstreamFailure | undefined {
  if (error instanceof UpstreamRejected) {
    return error.reason === 'circuit-open' ? 'circuit-open' : 'connect-error';
  }
  if (error instanceof UpstreamTimeout) return 'timeout';
  return undefined;
}

function chooseSide(
  entry: RouteEntry | undefined,
  mode: string,
  percentage: number,
  key: () => string,
  override: Side | undefined,
): Side {
  if (entry?.new === undefined) return 'legacy';
  if (override !== undefined) return override;
  switch (mode) {
    case 'canary':
      return sideFor({ routeId: entry.id, percentage, stickyKey: key() });
    case 'extracted':
    case 'retired':
      return 'new';
    default:
      return 'legacy';
  }
}

/** What every answer of an app built on the kernel carries: its secure headers and request id. */
const ANSWERED_BY_THE_KERNEL: ReadonlySet<string> = new Set([
  ...SECURE_HEADER_NAMES,
  'x-request-id',
]);

const pathAndQuery = (url: string) => url.slice(url.indexOf('/', url.indexOf('//') + 2));

/**
 * The client's answer, with this request's id whichever side answered, and the headers the
 * edge set for it (secure headers, rate limits) where the answer has none of its own. Built
 * with plain headers (see answer-headers.ts); an unread in-process answer is passed on as is.
 */
function respond(c: Context<AppEnv>, answer: ForwardAnswer): Response {
  return takeAnswerHeaders(c, (edge) => {
    if (answer.response) {
      // The app in this process answers through the same kernel, so with the secure headers
      // and this request's id (the one it was sent) already: the edge's own (rate limits) go on.
      const { headers } = answer.response;
      for (const name in edge) {
        if (!ANSWERED_BY_THE_KERNEL.has(name)) headers.set(name, edge[name] as string);
      }
      return answer.response;
    }
    const empty = answer.status === 204 || answer.status === 304;
    const headers = { ...edge, ...answer.headers, 'x-request-id': c.get('requestId') };
    return new Response(empty ? null : (answer.body as Uint8Array<ArrayBuffer>), {
      status: answer.status,
      headers: Object.values(answer.headers).some(Array.isArray) ? pairsOf(headers) : headers,
    });
  });
}

/** A header record as name-value pairs: a header of several values (Set-Cookie) stays several. */
function pairsOf(record: Record<string, string | string[]>): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(record)) {
    if (Array.isArray(value)) for (const one of value) pairs.push([name, one]);
    else pairs.push([name, value]);
  }
  return pairs;
}

export function proxyHandler(options: ProxyOptions) {
  const { table, toggles, sides } = options;

  return async (c: Context<AppEnv>): Promise<Response> => {
    const started = performance.now();
    const method = c.req.method;
    const url = pathAndQuery(c.req.url);
    const match = matchRoute(table, method, url);
    if (match === undefined) {
      const allowed = allowedMethods(table, c.req.path);
      if (allowed.length > 0 && !allowed.includes(method)) {
        return problemResponse(
          c,
          new ProblemError(
            405,
            `${method} is not allowed on ${c.req.path}; allowed: ${allowed.join(', ')}.`,
          ).problem,
          { Allow: allowed.join(', ') },
        );
      }
    }
    const entry = match?.entry;
    const body = SAFE.has(method) ? undefined : new Uint8Array(await c.req.arrayBuffer());
    const budgetAt = c.get('deadlineAt');
    const request: ForwardRequest = {
      method,
      url,
      headers: clientHeaders(nodeHeadersOf(c) ?? c.req.raw.headers),
      body: body && body.length > 0 ? body : undefined,
      requestId: c.get('requestId'),
      traceparent: `00-${c.get('traceId')}-${randomHex(8)}-01`,
      user: c.get('user'),
      deadlineAt: Math.min(
        budgetAt ?? Number.POSITIVE_INFINITY,
        started + options.defaultTimeoutMs,
      ),
      signal: c.req.raw.signal,
    };
    const toggle = entry ? toggles.toggle(entry.id) : undefined;
    const mode = toggle?.mode ?? 'monolith';
    const side = chooseSide(
      entry,
      mode,
      toggle?.percentage ?? 0,
      () => options.stickyKey(c),
      options.override?.(c),
    );
    const callAt = Math.min(
      request.deadlineAt,
      started + (entry?.timeoutMs ?? options.defaultTimeoutMs),
    );
    // An unmatched request (the monolith's own) is retried only when its method is safe.
    const retry = entry
      ? repeatable(request, entry.retry.writes)
        ? entry.retry
        : undefined
      : SAFE.has(method)
        ? UNMATCHED_RETRY
        : undefined;
    const routeId = entry?.id ?? UNMATCHED;
    const record = (exchange: Omit<Exchange, 'routeId'>) =>
      options.record?.({ routeId, ...exchange });

    // A cache hit asked no side: it counts for neither side's figures.
    const cached = options.cache && (await options.cache.lookup(request));
    if (cached) return respond(c, cached);

    /** The problem for an upstream's failure (503, 504, 502); anything else is not ours. */
    const failed = (error: unknown) => {
      const problem = upstreamProblem(error);
      if (!problem) throw error;
      return problemResponse(c, problem.problem, problem.headers);
    };
    const errorKind = (error: unknown) => failureOf(error) ?? 'broken';

    /** Legacy's answer; after a new-side failure, a fallback recorded with that failure. */
    const serveLegacy = async (after?: {
      failure: UpstreamFailure;
      ms: number;
    }): Promise<Response> => {
      const at = performance.now();
      // A fallback is a call of its own: the new side's timeout spent the route's budget, not
      // the request's, so legacy gets the route's timeout again within what the request has left.
      const deadlineAt = after
        ? Math.min(request.deadlineAt, at + (entry?.timeoutMs ?? options.defaultTimeoutMs))
        : callAt;
      /** One exchange: legacy's own, or the new side's failure and legacy's fallback answer. */
      const exchange = (status: number, ms: number, error?: unknown): Omit<Exchange, 'routeId'> =>
        after
          ? {
              side: 'new',
              status: 0,
              ms: after.ms,
              upstreamError: after.failure,
              fallback: { reason: after.failure, status, ms },
            }
          : {
              side: 'legacy',
              status,
              ms,
              ...(error !== undefined && { upstreamError: errorKind(error) }),
            };
      // Shadow compares legacy's answer and the cache keeps it; else it only goes on to the client.
      const mirrors =
        mode === 'shadow' && side === 'legacy' && match?.entry.new !== undefined && !after;
      const asIs = !mirrors && !options.cache?.keeps(request);
      let answer: ForwardAnswer;
      try {
        answer = await sides.legacy(request, { retry, deadlineAt, asIs });
      } catch (error) {
        record(exchange(0, performance.now() - at, error));
        return failed(error);
      }
      const ms = performance.now() - at;
      record(exchange(answer.status, ms));
      if (mirrors) options.mirror?.offer({ match, request, legacy: answer, legacyMs: ms });
      return respond(c, options.cache ? await options.cache.store(request, answer) : answer);
    };

    if (side === 'legacy' || !match || !entry?.new) return serveLegacy();

    const at = performance.now();
    try {
      const answer = await sides.new(match, request, { retry, deadlineAt: callAt });
      record({ side: 'new', status: answer.status, ms: performance.now() - at });
      return respond(c, answer);
    } catch (error) {
      const ms = performance.now() - at;
      const failure = failureOf(error);
      const mayFallBack =
        mode !== 'retired' &&
        entry.fallback.toLegacy &&
        failure !== undefined &&
        entry.fallback.on.includes(failure) &&
        // A write that may have reached the new side is never repeated elsewhere: legacy
        // cannot know the new side's idempotency keys.
        (SAFE.has(method) || (failure !== 'timeout' && repeatable(request, entry.fallback.writes)));
      if (!mayFallBack) {
        record({ side: 'new', status: 0, ms, upstreamError: errorKind(error) });
        return failed(error);
      }
      return serveLegacy({ failure, ms });
    }
  };
}
