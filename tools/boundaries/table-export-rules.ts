import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import ts from 'typescript';
import { type Definition, fileDefinitions, isExported } from './drizzle-definitions.ts';
import type { Finding } from './finding.ts';
import type { ImportGraph } from './import-graph.ts';
import { type Layout, moduleOf, modulesDir } from './layout.ts';
import type { SourceCache } from './typescript-source.ts';
import { importBindings, lineOf } from './typescript-source.ts';

/**
 * The contract half of no-foreign-tables: a module's index.ts must not hand out its tables
 * or its pgSchema object, or other modules could query them through the public surface.
 */
export function tableExportFindings(
  layout: Layout,
  graph: ImportGraph,
  sources: SourceCache,
): Finding[] {
  return layout.modules.flatMap((module) => {
    const index = `${modulesDir}/${module}/index.ts`;
    if (!existsSync(join(layout.rootDir, index))) return [];
    const sourceFile = sources.get(index);
    const bindings = importBindings(sourceFile);
    /** Tables and schemas defined by a file of this module. */
    const definitionsOf = (target: string | undefined): Definition[] => {
      if (!target || moduleOf(target) !== module || !/\.[cm]?tsx?$/.test(target)) return [];
      if (!existsSync(join(layout.rootDir, target))) return [];
      const targetFile = sources.get(target);
      return fileDefinitions(targetFile, importBindings(targetFile));
    };
    const local = fileDefinitions(sourceFile, bindings);
    /** What a name exported by index.ts stands for, when it is a table or a schema. */
    const definitionNamed = (name: string): Definition | undefined => {
      const own = local.find((definition) => definition.name === name);
      if (own) return own;
      const binding = bindings.get(name);
      if (!binding) return undefined;
      return definitionsOf(graph.resolve(index, binding.specifier)).find(
        (definition) => definition.name === binding.imported,
      );
    };
    const report = (node: ts.Node, what: string): Finding => ({
      file: index,
      line: lineOf(node),
      rule: 'no-foreign-tables',
      message: `index.ts of module ${module} exports ${what}, handing its tables to other modules`,
      fix: 'export functions, types or events that carry plain data; keep tables and the pgSchema private to the module',
    });

    const findings: Finding[] = [];
    for (const statement of sourceFile.statements) {
      if (ts.isVariableStatement(statement) && isExported(statement)) {
        const names = new Set(statement.declarationList.declarations.map((d) => d.name.getText()));
        for (const definition of local.filter((d) => names.has(d.name))) {
          findings.push(report(definition.node, `${definition.kind} ${definition.name}`));
        }
      } else if (ts.isExportDeclaration(statement) && !statement.isTypeOnly) {
        findings.push(...exportDeclarationFindings(statement));
      } else if (ts.isExportAssignment(statement) && ts.isIdentifier(statement.expression)) {
        const definition = definitionNamed(statement.expression.text);
        if (definition) findings.push(report(statement, `${definition.kind} ${definition.name}`));
      }
    }
    return findings;

    function exportDeclarationFindings(statement: ts.ExportDeclaration): Finding[] {
      const specifier = statement.moduleSpecifier;
      const clause = statement.exportClause;
      if (specifier && ts.isStringLiteralLike(specifier)) {
        const target = graph.resolve(index, specifier.text);
        const definitions = definitionsOf(target);
        if (!clause || ts.isNamespaceExport(clause)) {
          const isSchemaFile = target !== undefined && /^schema\.[cm]?tsx?$/.test(basename(target));
          return definitions.length > 0 || isSchemaFile
            ? [report(statement, `everything from ${specifier.text}, which defines tables`)]
            : [];
        }
        return clause.elements
          .filter((element) => !element.isTypeOnly)
          .flatMap((element) => {
            const original = (element.propertyName ?? element.name).getText();
            const definition = definitions.find((d) => d.name === original);
            return definition ? [report(element, `${definition.kind} ${original}`)] : [];
          });
      }
      if (!clause || ts.isNamespaceExport(clause)) return [];
      return clause.elements
        .filter((element) => !element.isTypeOnly)
        .flatMap((element) => {
          const definition = definitionNamed((element.propertyName ?? element.name).getText());
          return definition ? [report(element, `${definition.kind} ${definition.name}`)] : [];
        });
    }
  });
}
