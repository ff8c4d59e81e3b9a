import { type CallSignals, callSignals, untilAborted } from './call-signals.ts';
import { RetryBudget, type RetryBudgetOptions } from './retry-budget.ts';
import { RETRY_STATUSES, withRetries } from './retry-loop.ts';
import {
  REQUEST_BUDGET_HEADER,
  type Upstream,
  type UpstreamAnswer,
  type UpstreamCall,
  type UpstreamState,
} from './upstream-call.ts';
import { ClientGone, UpstreamTimeout } from './upstream-errors.ts';

// The same Upstream over an app's `fetch` in this process (the single-process run serves legacy
// without a network hop): the same deadline, header and retries, but no pool, no health checks
// and no breaker or bulkhead (an app in this process is as up as the facade is).

export interface InProcessUpstreamOptions {
  name: string;
  /** A Hono app's `fetch`. */
  fetch: (request: Request) => Response | Promise<Response>;
  retryBudget?: RetryBudgetOptions;
}

/** The origin in-process requests carry; nothing resolves it, the app only reads the path. */
const ORIGIN = 'http://monolith.internal';

const WITHOUT_BODY = new Set(['GET', 'HEAD']);
const EMPTY = new Uint8Array(0);

function headersOf(response: Response): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [key, value] of response.headers) headers[key] = value;
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 1) headers['set-cookie'] = cookies;
  return headers;
}

export function createInProcessUpstream(options: InProcessUpstreamOptions): Upstream {
  const { name } = options;
  const budget = new RetryBudget(options.retryBudget ?? { ratio: 0.2, minPerSecond: 10 });
  const state: UpstreamState = {
    circuit: 'closed',
    active: 0,
    queued: 0,
    instances: [{ url: ORIGIN, healthy: true, ejectedUntil: null }],
  };

  async function attempt(
    call: UpstreamCall,
    attempts: number,
    signals: CallSignals,
  ): Promise<UpstreamAnswer> {
    const remaining = Math.floor(call.deadlineAt - performance.now());
    if (remaining <= 0) throw new UpstreamTimeout(name, `${name}: the deadline passed`);
    // No signal: a Request following one costs five times as much to make. The app stops by the
    // budget it is given, and the wait on it ends with the deadline or the client regardless.
    const request = new Request(ORIGIN + call.path, {
      method: call.method,
      headers: { ...call.headers, [REQUEST_BUDGET_HEADER]: String(remaining) },
      body: WITHOUT_BODY.has(call.method) ? undefined : call.body,
    });
    const response = await untilAborted(options.fetch(request), signals);
    const answered = { status: response.status, instance: ORIGIN, attempts };
    // Read only when someone reads it: reading an app's Response copies it through a stream.
    if (call.asIs) return { ...answered, headers: {}, body: EMPTY, response };
    const body = new Uint8Array(await response.arrayBuffer());
    return { ...answered, headers: headersOf(response), body };
  }

  const failure = (call: UpstreamCall, error: unknown) =>
    call.signal?.aborted
      ? new ClientGone(name, `${name} ${call.method} ${call.path}: the client went away`)
      : new UpstreamTimeout(
          name,
          `${name} ${call.method} ${call.path}: no answer by the deadline`,
          {
            cause: error,
          },
        );

  return {
    name,
    async send(call) {
      const signals = callSignals(name, call);
      state.active++;
      try {
        return await withRetries({
          call,
          budget,
          signals,
          async attempt(attempts) {
            try {
              return await attempt(call, attempts, signals);
            } catch (error) {
              // Errors the app throws become its own 500 answers; what reaches here is an abort.
              throw signals.aborted ? failure(call, error) : error;
            }
          },
          again: (outcome) => 'answer' in outcome && RETRY_STATUSES.has(outcome.answer.status),
          interrupted: (error) => failure(call, error),
        });
      } finally {
        signals.release();
        state.active--;
      }
    },
    state: () => ({ ...state, instances: state.instances.map((instance) => ({ ...instance })) }),
    async close() {},
  };
}
