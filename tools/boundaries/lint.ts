import { resolve } from 'node:path';
import { type Finding, sortFindings } from './finding.ts';
import { importGraphOf } from './import-graph.ts';
import { cruiseImports, importFindings } from './import-rules.ts';
import { readLayout } from './layout.ts';
import { migrationFindings } from './migration-rules.ts';
import { moduleCycleFindings } from './module-cycles.ts';
import { schemaFindings } from './schema-rules.ts';
import { sqlFindings } from './sql-rules.ts';
import { tableExportFindings } from './table-export-rules.ts';
import { createSourceCache } from './typescript-source.ts';

/** Every module-boundary finding in the repository at rootDir, sorted by file and line. */
export async function lintBoundaries(rootDir: string): Promise<Finding[]> {
  const layout = readLayout(resolve(rootDir));
  const sources = createSourceCache(layout.rootDir);
  const cruised = await cruiseImports(layout);
  const graph = importGraphOf(cruised);
  return sortFindings([
    ...importFindings(cruised, sources),
    ...moduleCycleFindings(graph, sources),
    ...schemaFindings(layout, graph, sources),
    ...migrationFindings(layout),
    ...sqlFindings(layout, sources),
    ...tableExportFindings(layout, graph, sources),
  ]);
}
