import ts from 'typescript';
import type { ImportBinding } from './typescript-source.ts';

/** drizzle-orm builders that put an object in the public schema; each has a pgSchema twin. */
export const publicSchemaBuilders = [
  'pgTable',
  'pgTableCreator',
  'pgEnum',
  'pgSequence',
  'pgView',
  'pgMaterializedView',
] as const;

/**
 * The drizzle-orm export a call goes to, through named imports (aliases included) or a
 * namespace import: `pgTable(...)`, `t(...)` with `pgTable as t`, `pg.pgTable(...)`.
 */
export function drizzleExportCalled(
  call: ts.CallExpression,
  bindings: Map<string, ImportBinding>,
): string | undefined {
  const callee = call.expression;
  if (ts.isIdentifier(callee)) {
    const binding = bindings.get(callee.text);
    return binding && isDrizzle(binding) && binding.imported !== '*' ? binding.imported : undefined;
  }
  if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression)) {
    const binding = bindings.get(callee.expression.text);
    return binding && isDrizzle(binding) && binding.imported === '*' ? callee.name.text : undefined;
  }
  return undefined;
}

function isDrizzle(binding: ImportBinding): boolean {
  return binding.specifier === 'drizzle-orm' || binding.specifier.startsWith('drizzle-orm/');
}

/** `<schema>.table('name', {...})`: the receiver and the call. */
export function schemaTableCall(node: ts.Node): ts.CallExpression | undefined {
  if (!ts.isCallExpression(node) || !ts.isPropertyAccessExpression(node.expression))
    return undefined;
  const [name, columns] = node.arguments;
  const isTable =
    node.expression.name.text === 'table' && name && ts.isStringLiteralLike(name) && columns;
  return isTable ? node : undefined;
}

export type DefinitionKind = 'table' | 'schema';

/**
 * What an initializer defines: a table (`s.table(...)`, `pgTable(...)`, also with
 * `.enableRLS()` and the like chained after) or a schema (`pgSchema(...)`).
 */
export function definitionKind(
  expression: ts.Expression,
  bindings: Map<string, ImportBinding>,
): DefinitionKind | undefined {
  let current: ts.Expression = expression;
  while (ts.isCallExpression(current)) {
    if (schemaTableCall(current)) return 'table';
    const drizzleExport = drizzleExportCalled(current, bindings);
    if (drizzleExport === 'pgTable') return 'table';
    if (drizzleExport === 'pgSchema') return 'schema';
    if (!ts.isPropertyAccessExpression(current.expression)) return undefined;
    current = current.expression.expression;
  }
  return undefined;
}

export interface Definition {
  name: string;
  kind: DefinitionKind;
  node: ts.Node;
}

/** Top-level `const` tables and schemas a file declares (exported or not). */
export function fileDefinitions(
  sourceFile: ts.SourceFile,
  bindings: Map<string, ImportBinding>,
): Definition[] {
  const definitions: Definition[] = [];
  for (const statement of sourceFile.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    for (const declaration of statement.declarationList.declarations) {
      if (!ts.isIdentifier(declaration.name) || !declaration.initializer) continue;
      const kind = definitionKind(declaration.initializer, bindings);
      if (kind) definitions.push({ name: declaration.name.text, kind, node: declaration });
    }
  }
  return definitions;
}

export function isExported(statement: ts.Statement): boolean {
  return (
    ts.canHaveModifiers(statement) &&
    (ts.getModifiers(statement) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword)
  );
}
