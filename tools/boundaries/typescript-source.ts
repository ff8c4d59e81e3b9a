import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

/** Parses each file once per lint run; rules share the trees. */
export interface SourceCache {
  get(relativePath: string): ts.SourceFile;
}

export function createSourceCache(rootDir: string): SourceCache {
  const parsed = new Map<string, ts.SourceFile>();
  return {
    get(relativePath) {
      let sourceFile = parsed.get(relativePath);
      if (!sourceFile) {
        const text = readFileSync(join(rootDir, relativePath), 'utf8');
        sourceFile = ts.createSourceFile(relativePath, text, ts.ScriptTarget.Latest, true);
        parsed.set(relativePath, sourceFile);
      }
      return sourceFile;
    },
  };
}

export function lineOf(node: ts.Node): number {
  const sourceFile = node.getSourceFile();
  return sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile)).line + 1;
}

/** Every node of the tree, depth first. */
export function walk(node: ts.Node, visit: (node: ts.Node) => void): void {
  visit(node);
  ts.forEachChild(node, (child) => walk(child, visit));
}

/** The string literals naming other files: imports, re-exports, import(), require(), import types. */
export function moduleSpecifiers(sourceFile: ts.SourceFile): ts.StringLiteralLike[] {
  const found: ts.StringLiteralLike[] = [];
  walk(sourceFile, (node) => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteralLike(node.moduleSpecifier)
    ) {
      found.push(node.moduleSpecifier);
    } else if (ts.isExternalModuleReference(node) && ts.isStringLiteralLike(node.expression)) {
      found.push(node.expression);
    } else if (ts.isCallExpression(node)) {
      const [first] = node.arguments;
      const isImportCall = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === 'require';
      if ((isImportCall || isRequire) && first && ts.isStringLiteralLike(first)) found.push(first);
    } else if (
      ts.isImportTypeNode(node) &&
      ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteralLike(node.argument.literal)
    ) {
      found.push(node.argument.literal);
    }
  });
  return found;
}

/** The line where a file first names `specifier`; 1 when it cannot be found. */
export function importLine(sourceFile: ts.SourceFile, specifier: string): number {
  const literal = moduleSpecifiers(sourceFile).find((node) => node.text === specifier);
  return literal ? lineOf(literal) : 1;
}

export interface ImportBinding {
  specifier: string;
  /** The exported name it binds: a name, 'default', or '*' for a namespace import. */
  imported: string;
}

/** Local names bound by the file's import declarations. */
export function importBindings(sourceFile: ts.SourceFile): Map<string, ImportBinding> {
  const bindings = new Map<string, ImportBinding>();
  for (const statement of sourceFile.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteralLike(statement.moduleSpecifier)) {
      continue;
    }
    const specifier = statement.moduleSpecifier.text;
    const clause = statement.importClause;
    if (!clause) continue;
    if (clause.name) bindings.set(clause.name.text, { specifier, imported: 'default' });
    const named = clause.namedBindings;
    if (named && ts.isNamespaceImport(named)) {
      bindings.set(named.name.text, { specifier, imported: '*' });
    } else if (named) {
      for (const element of named.elements) {
        const imported = (element.propertyName ?? element.name).text;
        bindings.set(element.name.text, { specifier, imported });
      }
    }
  }
  return bindings;
}

/** The name a call is made through: `f(...)` → f, `a.b.f(...)` → f. */
export function calleeName(call: ts.CallExpression): string | undefined {
  const callee = call.expression;
  if (ts.isIdentifier(callee)) return callee.text;
  if (ts.isPropertyAccessExpression(callee)) return callee.name.text;
  return undefined;
}

/** The leftmost identifier of `a`, `a.b.c`, `a[0].b`. */
export function rootIdentifier(expression: ts.Expression): ts.Identifier | undefined {
  let current = expression;
  while (ts.isPropertyAccessExpression(current) || ts.isElementAccessExpression(current)) {
    current = current.expression;
  }
  return ts.isIdentifier(current) ? current : undefined;
}
