import type {
  ForwardAnswer,
  ForwardRequest,
  Side,
  SideCallOptions,
  Sides,
} from '../../facade/proxy/exchange.ts';
import type { RouteMatch } from '../../facade/routes/match.ts';

// The two sides of a route as a table of canned answers, for the facade's shadow tests: each
// `side METHOD url` answers its canned list in turn (the last one again once it runs out); an
// Error is thrown as a failed call; `hang` never answers until the call's signal aborts.

export type Canned = ForwardAnswer | Error | 'hang';

export interface CannedCall {
  side: Side;
  match: RouteMatch | undefined;
  request: ForwardRequest;
  options: SideCallOptions | undefined;
  /** Whether the call's signal was already aborted when the side was called. */
  abortedAtCall: boolean;
  settled: boolean;
}

export interface CannedSides {
  sides: Sides;
  calls: CannedCall[];
  answer(side: Side, method: string, url: string, ...answers: Canned[]): void;
}

export const jsonAnswer = (body: unknown, status = 200): ForwardAnswer => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: new TextEncoder().encode(JSON.stringify(body)),
});

let requests = 0;

/** A client request as the edge would hand it on; its client is gone unless `signal` says. */
export function forwardRequest(
  method: string,
  url: string,
  body?: unknown,
  signal: AbortSignal = AbortSignal.abort(),
): ForwardRequest {
  requests += 1;
  return {
    method,
    url,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : new TextEncoder().encode(JSON.stringify(body)),
    requestId: `req-${requests}`,
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    user: undefined,
    deadlineAt: performance.now() + 1_000,
    signal,
  };
}

export function cannedSides(): CannedSides {
  const table = new Map<string, { answers: Canned[]; served: number }>();
  const calls: CannedCall[] = [];

  function serve(
    side: Side,
    match: RouteMatch | undefined,
    request: ForwardRequest,
    options: SideCallOptions | undefined,
  ): Promise<ForwardAnswer> {
    const call: CannedCall = {
      side,
      match,
      request,
      options,
      abortedAtCall: request.signal.aborted,
      settled: false,
    };
    calls.push(call);
    const key = `${side} ${request.method} ${request.url}`;
    const entry = table.get(key);
    const settle = <T>(result: Promise<T>) =>
      result.finally(() => {
        call.settled = true;
      });
    if (entry === undefined) return settle(Promise.reject(new Error(`nothing canned for ${key}`)));
    const canned = entry.answers[Math.min(entry.served, entry.answers.length - 1)];
    entry.served += 1;
    if (canned === 'hang') {
      return settle(
        new Promise<ForwardAnswer>((_, reject) => {
          request.signal.addEventListener('abort', () => reject(request.signal.reason), {
            once: true,
          });
        }),
      );
    }
    if (canned === undefined || canned instanceof Error) {
      return settle(Promise.reject(canned ?? new Error(`nothing canned for ${key}`)));
    }
    return settle(Promise.resolve(canned));
  }

  return {
    calls,
    answer(side, method, url, ...answers) {
      table.set(`${side} ${method} ${url}`, { answers, served: 0 });
    },
    sides: {
      legacy: (request, options) => serve('legacy', undefined, request, options),
      new: (match, request, options) => serve('new', match, request, options),
    },
  };
}
