import type { Context } from 'hono';
import type { AppEnv } from './app-env.ts';

// Headers middleware add to a request's answer, set one way: on Hono's prepared headers, which
// every answer Hono builds starts from (`c.json`, `c.body`, problems), and in a plain record for
// a handler that builds its answer itself (the facade's proxy: @hono/node-server writes a
// Response with plain headers as they are, where a Headers object is validated, sorted and
// copied, about a tenth of a forwarded request's cost).

/** Sets `name` on the answer; the record's names are lower-case, as node and undici give them. */
export function setAnswerHeader(c: Context<AppEnv>, name: string, value: string): void {
  c.header(name, value);
  // c.get, not c.var: c.var copies every variable into a new object on each read (Hono 4), and
  // this runs for each header of every request.
  let record = c.get('answerHeaders');
  if (record === undefined) {
    record = {};
    c.set('answerHeaders', record);
  }
  record[name.toLowerCase()] = value;
}

/** The headers set with setAnswerHeader so far (lower-case names). */
export const answerHeadersOf = (c: Context<AppEnv>): Readonly<Record<string, string>> =>
  c.get('answerHeaders') ?? {};
