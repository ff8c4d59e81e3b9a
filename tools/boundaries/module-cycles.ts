import type { Finding } from './finding.ts';
import type { ImportEdge, ImportGraph } from './import-graph.ts';
import { isTestFile, moduleOf } from './layout.ts';
import type { SourceCache } from './typescript-source.ts';
import { importLine } from './typescript-source.ts';

/** Enough to show every knot in a real tree without drowning the report. */
const maxCycles = 25;

/**
 * Module-level cycles, from the file imports dependency-cruiser found. A file cycle is not
 * needed: orders/service.ts → payments/index.ts and payments/service.ts → orders/index.ts
 * already tie the two modules together. Test files do not count: they are not shipped.
 */
export function moduleCycleFindings(graph: ImportGraph, sources: SourceCache): Finding[] {
  const witnesses = new Map<string, ImportEdge>();
  const next = new Map<string, Set<string>>();
  for (const edge of graph.edges) {
    const from = moduleOf(edge.from);
    const to = moduleOf(edge.to);
    if (!from || !to || from === to || isTestFile(edge.from)) continue;
    const key = `${from}\0${to}`;
    if (!witnesses.has(key)) witnesses.set(key, edge);
    if (!next.has(from)) next.set(from, new Set());
    next.get(from)?.add(to);
  }
  return simpleCycles(next)
    .slice(0, maxCycles)
    .map((cycle) => {
      const steps = cycle.map((module, i) => {
        const target = cycle[(i + 1) % cycle.length] as string;
        return { module, target, edge: witnesses.get(`${module}\0${target}`) as ImportEdge };
      });
      const first = steps[0]?.edge as ImportEdge;
      const path = [...cycle, cycle[0]].join(' → ');
      const via = steps
        .map(({ edge }) => `${edge.from}:${importLine(sources.get(edge.from), edge.specifier)}`)
        .join(', ');
      return {
        file: first.from,
        line: importLine(sources.get(first.from), first.specifier),
        rule: 'no-module-cycles' as const,
        message: `modules import each other in a cycle: ${path} (via ${via})`,
        fix: 'break one direction: publish an event instead, or let the caller own a port that src/monolith.ts wires to the other module',
      };
    });
}

/** Elementary cycles, each once, starting at its smallest module name. */
function simpleCycles(next: Map<string, Set<string>>): string[][] {
  const cycles: string[][] = [];
  const nodes = [...next.keys()].sort();
  for (const start of nodes) {
    const path = [start];
    const onPath = new Set(path);
    const visit = (node: string): void => {
      for (const target of [...(next.get(node) ?? [])].sort()) {
        if (cycles.length >= maxCycles) return;
        if (target === start) cycles.push([...path]);
        else if (target > start && !onPath.has(target)) {
          path.push(target);
          onPath.add(target);
          visit(target);
          onPath.delete(target);
          path.pop();
        }
      }
    };
    visit(start);
  }
  return cycles;
}
