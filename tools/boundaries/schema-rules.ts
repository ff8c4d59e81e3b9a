import ts from 'typescript';
import {
  drizzleExportCalled,
  publicSchemaBuilders,
  schemaTableCall,
} from './drizzle-definitions.ts';
import type { Finding } from './finding.ts';
import type { ImportGraph } from './import-graph.ts';
import { type Layout, moduleOf, modulesDir, platformDir, typeScriptFiles } from './layout.ts';
import type { SourceCache } from './typescript-source.ts';
import { importBindings, lineOf, rootIdentifier, walk } from './typescript-source.ts';

const builders: ReadonlySet<string> = new Set(publicSchemaBuilders);

/**
 * schema-per-module and the drizzle half of no-cross-schema-fk (the SQL half reads the
 * migrations): each module declares its tables on pgSchema('<module>') and its foreign keys
 * point only at its own tables.
 */
export function schemaFindings(
  layout: Layout,
  graph: ImportGraph,
  sources: SourceCache,
): Finding[] {
  return layout.modules.flatMap((module) =>
    typeScriptFiles(layout.rootDir, `${modulesDir}/${module}`).flatMap((file) =>
      moduleFileFindings(module, file, graph, sources.get(file)),
    ),
  );
}

function moduleFileFindings(
  module: string,
  file: string,
  graph: ImportGraph,
  sourceFile: ts.SourceFile,
): Finding[] {
  const findings: Finding[] = [];
  const bindings = importBindings(sourceFile);
  const schemaFix = `declare \`export const ${module} = pgSchema('${module}')\` in src/modules/${module}/schema.ts and define tables as \`${module}.table(...)\``;
  /** Where an imported name comes from, when that is another module or the platform. */
  const foreignOrigin = (name: string): string | undefined => {
    const binding = bindings.get(name);
    const target = binding && graph.resolve(file, binding.specifier);
    if (!target) return undefined;
    const owner = moduleOf(target);
    if (owner && owner !== module) return `module ${owner}`;
    if (target.startsWith(`${platformDir}/`)) return 'the platform';
    return undefined;
  };

  walk(sourceFile, (node) => {
    if (!ts.isCallExpression(node)) return;
    const drizzleExport = drizzleExportCalled(node, bindings);
    if (drizzleExport && builders.has(drizzleExport)) {
      findings.push({
        file,
        line: lineOf(node),
        rule: 'schema-per-module',
        message: `${drizzleExport}(...) declares a ${kindOf(drizzleExport)} in the public schema, not in schema ${module}`,
        fix: schemaFix.replace('.table(...)', `.${twinOf(drizzleExport)}(...)`),
      });
    } else if (drizzleExport === 'pgSchema') {
      const [name] = node.arguments;
      if (!name || !ts.isStringLiteralLike(name) || name.text !== module) {
        const shown = name && ts.isStringLiteralLike(name) ? `'${name.text}'` : 'a computed name';
        findings.push({
          file,
          line: lineOf(node),
          rule: 'schema-per-module',
          message: `pgSchema(${shown}) in module ${module}: a module's schema is named after it`,
          fix: `use pgSchema('${module}')`,
        });
      }
    } else if (drizzleExport === 'foreignKey' || isReferencesCall(node)) {
      for (const [name, identifier] of identifiersIn(node.arguments)) {
        const origin = foreignOrigin(name);
        if (!origin) continue;
        findings.push({
          file,
          line: lineOf(identifier),
          rule: 'no-cross-schema-fk',
          message: `foreign key points at ${referenceText(identifier)}, a table of ${origin} outside schema ${module}`,
          fix: `keep the id as a plain column without a foreign key; stay consistent through events`,
        });
      }
    }
    const tableCall = schemaTableCall(node);
    const receiver =
      tableCall && rootIdentifier((tableCall.expression as ts.PropertyAccessExpression).expression);
    const origin = receiver && foreignOrigin(receiver.text);
    if (receiver && origin) {
      findings.push({
        file,
        line: lineOf(node),
        rule: 'schema-per-module',
        message: `table declared on ${receiver.text}, a schema of ${origin}, not on schema ${module}`,
        fix: schemaFix,
      });
    }
  });
  return findings;
}

function kindOf(builder: string): string {
  return twinOf(builder).replace('materializedView', 'materialized view');
}

function twinOf(builder: string): string {
  const twins: Record<string, string> = {
    pgTable: 'table',
    pgTableCreator: 'table',
    pgEnum: 'enum',
    pgSequence: 'sequence',
    pgView: 'view',
    pgMaterializedView: 'materializedView',
  };
  return twins[builder] ?? 'table';
}

/** `catalog.products.id` for the `catalog` in it: what the reader will recognise. */
function referenceText(identifier: ts.Identifier): string {
  let current: ts.Expression = identifier;
  while (ts.isPropertyAccessExpression(current.parent) && current.parent.expression === current) {
    current = current.parent;
  }
  return current.getText();
}

/** `column.references(() => other.id)`: drizzle's inline foreign key. */
function isReferencesCall(call: ts.CallExpression): boolean {
  return (
    ts.isPropertyAccessExpression(call.expression) && call.expression.name.text === 'references'
  );
}

/** Identifiers used as values in the arguments (first one per name). */
function identifiersIn(nodes: ts.NodeArray<ts.Expression>): Map<string, ts.Identifier> {
  const found = new Map<string, ts.Identifier>();
  for (const argument of nodes) {
    walk(argument, (node) => {
      if (!ts.isIdentifier(node) || found.has(node.text)) return;
      const parent = node.parent;
      const isMemberName = ts.isPropertyAccessExpression(parent) && parent.name === node;
      const isKey = ts.isPropertyAssignment(parent) && parent.name === node;
      if (!isMemberName && !isKey) found.set(node.text, node);
    });
  }
  return found;
}
