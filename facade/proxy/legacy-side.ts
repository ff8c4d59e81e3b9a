import type { Upstream } from '../upstream/upstream.ts';
import type { ForwardAnswer, ForwardRequest, SideCallOptions } from './exchange.ts';
import { answerHeaders, MIRROR_HEADER } from './forward-headers.ts';

// The legacy side: the monolith, as the client would have called it, request and answer
// passed through as they are (the client's own bearer token goes on; the monolith checks it).

export function legacySide(upstream: Upstream) {
  return async (request: ForwardRequest, options: SideCallOptions = {}): Promise<ForwardAnswer> => {
    const headers: Record<string, string> = {
      ...request.headers,
      'x-request-id': request.requestId,
      traceparent: request.traceparent,
    };
    if (options.mirrored) headers[MIRROR_HEADER] = '1';
    const answer = await upstream.send({
      method: request.method,
      path: request.url,
      headers,
      body: request.body,
      deadlineAt: options.deadlineAt ?? request.deadlineAt,
      signal: request.signal,
      retry: options.mirrored ? undefined : options.retry,
      asIs: options.asIs,
    });
    const { status, body, response } = answer;
    // An unread answer has no headers to filter: it goes to the client as the app gave it.
    if (response) return { status, headers: {}, body, response };
    return { status, headers: answerHeaders(answer.headers), body };
  };
}
