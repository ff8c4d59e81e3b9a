import {
  bySpecificity,
  type CompiledPattern,
  compilePattern,
  matchSegments,
  splitPath,
} from './path-pattern.ts';
import type { HttpMethod, RouteEntry, RouteTable } from './route-entry.ts';

// Which entry of the route table a request belongs to. Patterns are compiled once per table
// (kept beside it in a WeakMap), most specific first; a request only splits its path and
// compares segments. A path no entry matches is the monolith's, as it is; a path some entry
// matches with another method is a 405 (allowedMethods says what to put in `Allow`).

export interface RouteMatch {
  entry: RouteEntry;
  params: Record<string, string>;
}

interface Compiled {
  entry: RouteEntry;
  pattern: CompiledPattern;
}

const compiledTables = new WeakMap<RouteTable, readonly Compiled[]>();

function compiled(table: RouteTable): readonly Compiled[] {
  let routes = compiledTables.get(table);
  if (routes === undefined) {
    routes = table
      .map((entry) => ({ entry, pattern: compilePattern(entry.path) }))
      .sort((a, b) => bySpecificity(a.pattern, b.pattern));
    compiledTables.set(table, routes);
  }
  return routes;
}

/** The request's path without its query string, split into segments. */
const segmentsOf = (path: string): string[] => {
  const query = path.indexOf('?');
  return splitPath(query === -1 ? path : path.slice(0, query));
};

/** HEAD is answered as GET (as Hono does). */
const routedMethod = (method: string): string => {
  const upper = method.toUpperCase();
  return upper === 'HEAD' ? 'GET' : upper;
};

/** The entry serving `method path` and the path's parameters, or undefined (the monolith's). */
export function matchRoute(
  table: RouteTable,
  method: string,
  path: string,
): RouteMatch | undefined {
  const wanted = routedMethod(method);
  const segments = segmentsOf(path);
  for (const { entry, pattern } of compiled(table)) {
    if (!entry.methods.includes(wanted as HttpMethod)) continue;
    const params = matchSegments(pattern, segments);
    if (params !== undefined) return { entry, params };
  }
  return undefined;
}

/**
 * The methods the table routes for `path` (for a 405's `Allow`), HEAD with GET; empty when
 * no entry matches the path.
 */
export function allowedMethods(table: RouteTable, path: string): string[] {
  const segments = segmentsOf(path);
  const methods = new Set<string>();
  for (const { entry, pattern } of compiled(table)) {
    if (matchSegments(pattern, segments) === undefined) continue;
    for (const method of entry.methods) methods.add(method);
  }
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort();
}
