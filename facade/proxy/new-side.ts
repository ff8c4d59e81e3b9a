import { serviceCallHeaders } from '../../src/platform/auth/service-caller.ts';
import type { ServiceTokenSource } from '../../src/platform/auth/service-tokens.ts';
import { ProblemError } from '../../src/platform/http/problem.ts';
import type { RouteMatch } from '../routes/match.ts';
import type { NewTarget } from '../routes/route-entry.ts';
import { translators } from '../routes/translators.ts';
import type { Upstream } from '../upstream/upstream.ts';
import type { ForwardAnswer, ForwardRequest, SideCallOptions } from './exchange.ts';
import { MIRROR_HEADER } from './forward-headers.ts';
import type { ClientBody, LegacyAnswer, V1Answer, V1Call } from './translation.ts';

// The new side: a route's request through its ACL translator to the extracted service's v1 API,
// as the facade itself (its service token) on behalf of the verified user (X-Forwarded-User),
// and the v1 answer back in the legacy shape, so the client cannot tell who served it.

export interface NewSideOptions {
  upstreams: Record<NewTarget, Upstream>;
  /** The facade's service tokens; each service trusts them. */
  serviceTokens: ServiceTokenSource;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

function clientBody(body: Uint8Array | undefined): ClientBody {
  if (body === undefined || body.length === 0) return undefined;
  const text = decoder.decode(body);
  try {
    return { json: JSON.parse(text) };
  } catch {
    return { raw: text };
  }
}

const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

function parsed(body: Uint8Array, contentType: string | undefined): unknown {
  if (body.length === 0 || !contentType?.includes('json')) return undefined;
  try {
    return JSON.parse(decoder.decode(body));
  } catch {
    return undefined;
  }
}

/** A legacy answer on the wire: JSON or problem+json, its headers lower-case. */
export function legacyWire(answer: LegacyAnswer): ForwardAnswer {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(answer.headers ?? {}))
    headers[name.toLowerCase()] = value;
  if ('problem' in answer) {
    headers['content-type'] = 'application/problem+json';
    return {
      status: answer.problem.status,
      headers,
      body: encoder.encode(JSON.stringify(answer.problem)),
    };
  }
  headers['content-type'] = 'application/json';
  return { status: answer.status, headers, body: encoder.encode(JSON.stringify(answer.body)) };
}

export function newSide({ upstreams, serviceTokens }: NewSideOptions) {
  return async (
    match: RouteMatch,
    request: ForwardRequest,
    options: SideCallOptions = {},
  ): Promise<ForwardAnswer> => {
    const side = match.entry.new;
    if (!side) throw new Error(`route ${match.entry.id} has no new side`);
    const upstream = upstreams[side.target];
    const query = request.url.indexOf('?');

    async function call(v1: V1Call): Promise<V1Answer> {
      const headers: Record<string, string> = {
        ...(await serviceCallHeaders(serviceTokens, side!.target, request.user)),
        accept: 'application/json, application/problem+json',
        'x-request-id': request.requestId,
        traceparent: request.traceparent,
      };
      const idempotencyKey = request.headers['idempotency-key'];
      if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
      const language = request.headers['accept-language'];
      if (language !== undefined) headers['accept-language'] = language;
      if (options.mirrored) headers[MIRROR_HEADER] = '1';
      if (options.dryRun) headers['x-dry-run'] = 'true';
      const body = v1.raw ?? (v1.body === undefined ? undefined : JSON.stringify(v1.body));
      if (body !== undefined) headers['content-type'] = 'application/json';
      const answer = await upstream.send({
        method: v1.method,
        path: v1.path,
        headers,
        body,
        deadlineAt: options.deadlineAt ?? request.deadlineAt,
        signal: request.signal,
        retry: options.mirrored ? undefined : options.retry,
      });
      const kept: Record<string, string> = {};
      for (const [name, value] of Object.entries(answer.headers)) {
        const one = first(value);
        if (one !== undefined) kept[name] = one;
      }
      return {
        status: answer.status,
        headers: kept,
        body: parsed(answer.body, kept['content-type']),
      };
    }

    const path = query === -1 ? request.url : request.url.slice(0, query);
    try {
      const answer = await translators[side.translator]({
        params: match.params,
        query: new URLSearchParams(query === -1 ? '' : request.url.slice(query + 1)),
        path,
        body: clientBody(request.body),
        user: request.user,
        call,
      });
      return legacyWire(answer);
    } catch (error) {
      // A translator's own refusal (no signed-in user) is an answer, not an upstream failure.
      if (error instanceof ProblemError)
        return legacyWire({
          problem: { ...error.problem, instance: path },
          headers: error.headers,
        });
      throw error;
    }
  };
}
