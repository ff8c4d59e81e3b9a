import { Pool } from 'undici';
import { DeadlineExceeded } from '../resilience/infrastructure-error.ts';
import { notConnectedCode } from './connect-errors.ts';
import { REQUEST_BUDGET_HEADER } from './request-budget.ts';

// Calls from one component to another over HTTP, on undici's dispatcher (a keep-alive pool per
// upstream), each bounded by a deadline. What matters to a caller is whether the request could
// have taken effect: a refused connection never reached the other side (RequestNotSent, safe to
// send again); a request sent but never answered (AnswerNeverCame) may have been carried out.

/** Connecting failed: the other side never saw the request. */
export class RequestNotSent extends Error {
  override name = 'RequestNotSent';
  /** Read by isInfrastructureError: an outage, not an answer. */
  readonly code = 'UPSTREAM_UNAVAILABLE';
}

/** The request went out, but no (complete) answer came back in time: the outcome is unknown. */
export class AnswerNeverCame extends Error {
  override name = 'AnswerNeverCame';
  readonly code = 'UPSTREAM_UNAVAILABLE';
}

export interface ServiceRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  /** Overrides the client's deadline for this call. */
  timeoutMs?: number;
  /**
   * When the request this call serves stops being waited for (`c.var.deadlineAt`): the call
   * ends by then too, and the other side is told how long it has in `x-request-budget-ms`.
   */
  deadlineAt?: number;
}

export interface ServiceAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body; undefined when there is none. */
  body: unknown;
}

export interface ServiceClient {
  call(request: ServiceRequest): Promise<ServiceAnswer>;
  close(): Promise<void>;
}

export interface ServiceClientOptions {
  /** `http://host:port` of the upstream. */
  baseUrl: string;
  /** The bound on every call (connect, send, answer): a shorter `timeoutMs` per call wins. */
  timeoutMs: number;
  /** Headers every call carries, computed per call (a service token renewed before expiry). */
  headers?: () => Promise<Record<string, string>>;
  connections?: number;
}

/** What the deadline's abort looks like from inside undici. */
const isAbort = (error: unknown) =>
  error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');

export function createServiceClient(options: ServiceClientOptions): ServiceClient {
  const origin = new URL(options.baseUrl);
  const pool = new Pool(origin.origin, {
    connections: options.connections ?? 16,
    connectTimeout: options.timeoutMs,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
  });
  const target = `${origin.host}`;

  return {
    async call(request) {
      const ownMs = Math.min(request.timeoutMs ?? options.timeoutMs, options.timeoutMs);
      const timeoutMs = Math.floor(
        request.deadlineAt === undefined
          ? ownMs
          : Math.min(ownMs, request.deadlineAt - performance.now()),
      );
      const search = new URLSearchParams();
      for (const [key, value] of Object.entries(request.query ?? {})) {
        if (value !== undefined) search.set(key, String(value));
      }
      const path = search.size > 0 ? `${request.path}?${search}` : request.path;
      const what = `${request.method} ${target}${request.path}`;
      if (timeoutMs <= 0) {
        // Nothing sent, and nothing wrong with the other side: neither retried nor counted
        // against its circuit, an outage (503) to whoever still asks.
        throw new DeadlineExceeded(`${what}: the request's deadline passed before the call`);
      }
      const headers: Record<string, string> = {
        accept: 'application/json, application/problem+json',
        ...(await options.headers?.()),
        ...request.headers,
        // How long this call waits: the other side need not work any longer than that.
        [REQUEST_BUDGET_HEADER]: String(timeoutMs),
      };
      if (request.body !== undefined) headers['content-type'] = 'application/json';
      try {
        const answer = await pool.request({
          method: request.method,
          path,
          headers,
          body: request.body === undefined ? undefined : JSON.stringify(request.body),
          signal: AbortSignal.timeout(timeoutMs),
        });
        const text = await answer.body.text();
        return {
          status: answer.statusCode,
          headers: answer.headers,
          body: text ? JSON.parse(text) : undefined,
        };
      } catch (error) {
        const code = notConnectedCode(error);
        if (code) {
          throw new RequestNotSent(`${what}: ${code}`, { cause: error });
        }
        if (isAbort(error)) {
          throw new AnswerNeverCame(`${what}: no answer within ${timeoutMs} ms`, {
            cause: new DeadlineExceeded(`${what} took over ${timeoutMs} ms`),
          });
        }
        // Reset, closed half-way, an unreadable answer: it may have been carried out.
        throw new AnswerNeverCame(`${what}: ${error instanceof Error ? error.message : error}`, {
          cause: error,
        });
      }
    },
    close: () => pool.close(),
  };
}
