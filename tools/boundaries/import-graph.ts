import { dirname, posix } from 'node:path';
import type { ICruiseResult } from 'dependency-cruiser';

/** One resolved import between two files of the linted tree, as dependency-cruiser saw it. */
export interface ImportEdge {
  from: string;
  to: string;
  /** The specifier as written, to find the line. */
  specifier: string;
  typeOnly: boolean;
}

export interface ImportGraph {
  edges: ImportEdge[];
  /** Where `specifier` in file `from` points, relative to the root; undefined for packages. */
  resolve(from: string, specifier: string): string | undefined;
}

export function importGraphOf(result: ICruiseResult | undefined): ImportGraph {
  const edges: ImportEdge[] = [];
  const bySpecifier = new Map<string, string>();
  for (const module of result?.modules ?? []) {
    for (const dependency of module.dependencies) {
      if (dependency.coreModule || dependency.couldNotResolve) continue;
      if (dependency.resolved.includes('node_modules/')) continue;
      edges.push({
        from: module.source,
        to: dependency.resolved,
        specifier: dependency.module,
        typeOnly: dependency.dependencyTypes.includes('type-only'),
      });
      bySpecifier.set(`${module.source}\0${dependency.module}`, dependency.resolved);
    }
  }
  return {
    edges,
    resolve(from, specifier) {
      const known = bySpecifier.get(`${from}\0${specifier}`);
      if (known) return known;
      // Files dependency-cruiser did not read (none today) still resolve relative paths.
      if (!specifier.startsWith('.')) return undefined;
      return posix.normalize(posix.join(dirname(from).split('\\').join('/'), specifier));
    },
  };
}
