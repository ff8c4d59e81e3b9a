import type { Principal } from '../../src/platform/auth/access-token.ts';
import { type Problem, ProblemError } from '../../src/platform/http/problem.ts';

// What an ACL translator works with: the legacy request as the client sent it, a way to call
// the route's new target in its v1 API, and the legacy-shaped answer it gives back. The
// translators themselves (facade/acl/*-translators.ts) know the vocabularies; the proxy knows
// the wire.

/** A request in the new target's v1 API. */
export interface V1Call {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** The path, with its query when it has one. */
  path: string;
  body?: unknown;
  /** A client body that is not JSON, passed on untouched for the service to refuse. */
  raw?: string;
}

export interface V1Answer {
  status: number;
  headers: Record<string, string>;
  /** The parsed JSON body; undefined for none. */
  body: unknown;
}

/** What the client sent as its body: JSON, text that is not JSON, or nothing. */
export type ClientBody = { json: unknown } | { raw: string } | undefined;

export interface Translation {
  /** The route's path parameters (`{id}` → `params.id`). */
  params: Record<string, string>;
  query: URLSearchParams;
  /** The legacy path, as a problem's `instance`. */
  path: string;
  body: ClientBody;
  user: Principal | undefined;
  call(request: V1Call): Promise<V1Answer>;
}

/** A legacy answer: JSON, or a problem. */
export type LegacyAnswer =
  | { status: number; body: unknown; headers?: Record<string, string> }
  | { problem: Problem & Record<string, unknown>; headers?: Record<string, string> };

export type Translator = (translation: Translation) => Promise<LegacyAnswer>;

/** The JSON of a client body, or undefined when it is not JSON (or absent). */
export const jsonOf = (body: ClientBody): unknown =>
  body !== undefined && 'json' in body ? body.json : undefined;

/** A client body that is not JSON, as a V1Call passes it on untouched (nothing for JSON). */
export const rawPart = (body: ClientBody): { raw?: string } =>
  body !== undefined && 'raw' in body ? { raw: body.raw } : {};

/** The signed-in caller; the edge has verified the token, so its absence is the client's. */
export function signedIn(t: Translation): Principal {
  if (!t.user) throw new ProblemError(401, 'This route needs a signed-in user.');
  return t.user;
}

/** The v1 answer's headers a legacy client acts on, passed on as they came. */
export function passOn(headers: Record<string, string>, names: readonly string[]) {
  const kept: Record<string, string> = {};
  for (const name of names) {
    const value = headers[name];
    if (value) kept[name] = value;
  }
  return kept;
}
