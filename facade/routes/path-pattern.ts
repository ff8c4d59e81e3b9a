import { z } from 'zod';

// Path patterns as OpenAPI writes them (`/api/payments/{id}`), compiled once into segments
// that a request's path is compared with segment by segment: no regular expression per request.

const literal = '[A-Za-z0-9._~-]+';
const param = '\\{[A-Za-z_][A-Za-z0-9_]*\\}';

export const pathPatternSchema = z
  .string()
  .regex(new RegExp(`^(/|(/(${literal}|${param}))+)$`), 'a path such as /api/payments/{id}');
export type PathPattern = z.infer<typeof pathPatternSchema>;

export type Segment = { literal: string } | { param: string };

export interface CompiledPattern {
  pattern: string;
  segments: readonly Segment[];
  /** The pattern with its parameters unnamed (`/api/payments/{}`): two routes with one shape clash. */
  shape: string;
}

export const splitPath = (path: string): string[] => (path === '/' ? [] : path.slice(1).split('/'));

export function compilePattern(pattern: string): CompiledPattern {
  const segments = splitPath(pattern).map(
    (segment): Segment =>
      segment.startsWith('{') ? { param: segment.slice(1, -1) } : { literal: segment },
  );
  const shape = `/${segments.map((s) => ('literal' in s ? s.literal : '{}')).join('/')}`;
  return { pattern, segments, shape };
}

export const paramNames = (compiled: CompiledPattern): string[] =>
  compiled.segments.flatMap((s) => ('param' in s ? [s.param] : []));

/**
 * A path's parameters if `path` (no query string) fits the pattern, else undefined. A parameter
 * is one non-empty segment, percent-decoded (left as sent when it does not decode).
 */
export function matchSegments(
  compiled: CompiledPattern,
  pathSegments: readonly string[],
): Record<string, string> | undefined {
  if (pathSegments.length !== compiled.segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pathSegments.length; i++) {
    const segment = compiled.segments[i]!;
    const actual = pathSegments[i]!;
    if ('literal' in segment) {
      if (segment.literal !== actual) return undefined;
    } else {
      if (actual === '') return undefined;
      params[segment.param] = decodeSegment(actual);
    }
  }
  return params;
}

function decodeSegment(segment: string): string {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * Orders patterns most specific first: at the first segment where they differ, a literal
 * before a parameter (`/api/users/me` before `/api/users/{id}`).
 */
export function bySpecificity(a: CompiledPattern, b: CompiledPattern): number {
  const length = Math.min(a.segments.length, b.segments.length);
  for (let i = 0; i < length; i++) {
    const aLiteral = 'literal' in a.segments[i]!;
    const bLiteral = 'literal' in b.segments[i]!;
    if (aLiteral !== bLiteral) return aLiteral ? -1 : 1;
  }
  return 0;
}
