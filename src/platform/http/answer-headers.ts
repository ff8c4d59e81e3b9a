import type { Context } from 'hono';
import type { AppEnv } from './app-env.ts';

// Headers middleware add to a request's answer (secure headers, the request id, rate limits),
// set one way, kept in a plain record, and put on the answer in one of two ways, per app:
// - at once on Hono's prepared headers, which every answer Hono builds starts from (`c.json`,
//   `c.body`, problems): for apps whose answers Hono builds;
// - deferred (createHttpApp's `deferAnswerHeaders`): the record only. A handler that builds its
//   answer itself takes the record (`takeAnswerHeaders`), and any other answer gets it after the
//   handler, where it has none of its own. For the facade, whose proxy builds nearly every
//   answer: @hono/node-server writes a Response with plain headers as they are, where a Headers
//   object is validated, sorted and copied, so prepared headers would be work thrown away.

/** What a request's answer is to carry, and how (see above). */
export interface AnswerHeaders {
  /** Lower-case names, as node and undici give them. */
  record: Record<string, string>;
  deferred: boolean;
  /** The answer a handler built from the record itself (takeAnswerHeaders). */
  builtWith?: Response;
}

/** The request's answer headers, started (by requestContext) once per request. */
export function startAnswerHeaders(c: Context<AppEnv>, deferred: boolean): AnswerHeaders {
  const headers: AnswerHeaders = { record: {}, deferred };
  c.set('answerHeaders', headers);
  return headers;
}

// c.get, not c.var: c.var copies every variable into a new object on each read (Hono 4), and
// this runs for each header of every request.
const answerHeadersOfContext = (c: Context<AppEnv>): AnswerHeaders =>
  c.get('answerHeaders') ?? startAnswerHeaders(c, false);

/** Sets `name` on the answer. */
export function setAnswerHeader(c: Context<AppEnv>, name: string, value: string): void {
  const headers = answerHeadersOfContext(c);
  if (!headers.deferred) c.header(name, value);
  headers.record[name.toLowerCase()] = value;
}

/**
 * The record, for a handler that builds its answer with it: `build` makes that answer, which
 * then goes out as it is (a deferred record is not put on it again).
 */
export function takeAnswerHeaders(
  c: Context<AppEnv>,
  build: (record: Readonly<Record<string, string>>) => Response,
): Response {
  const headers = answerHeadersOfContext(c);
  const answer = build(headers.record);
  headers.builtWith = answer;
  return answer;
}

/**
 * Puts a deferred record on the request's answer where the answer has none of its own, unless
 * a handler built the answer with it. Once the handler has answered (requestContext).
 */
export function finishAnswerHeaders(c: Context<AppEnv>, headers: AnswerHeaders): void {
  if (!headers.deferred || c.res === headers.builtWith) return;
  const answer = c.res.headers;
  for (const name in headers.record) {
    if (!answer.has(name)) answer.set(name, headers.record[name] as string);
  }
}
