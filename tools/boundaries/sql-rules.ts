import ts from 'typescript';
import type { Finding } from './finding.ts';
import { type Layout, modulesDir, typeScriptFiles } from './layout.ts';
import type { SourceCache } from './typescript-source.ts';
import { importBindings, lineOf, moduleSpecifiers, walk } from './typescript-source.ts';

/** A plain string is read as SQL only when it has one of these words; event names have none. */
const sqlKeyword =
  /\b(select|insert|update|delete|from|join|into|table|references|truncate|alter|create|drop|returning)\b/i;

/** `name.x`, `"name"."x"`, `"name".x`: a schema-qualified object (or `alias.column`). */
const qualifiedName =
  /(?<![\w$."])(?:"([^"]+)"|([A-Za-z_][\w$]*))\s*\.\s*(?:"[^"]*"|[A-Za-z_][\w$]*|\*)/g;
const quotedQualifiedName = /"[^"]+"\s*\.\s*"/;

interface TextPiece {
  text: string;
  /** Line of the first character of `text`. */
  line: number;
}

/**
 * The code half of no-foreign-tables: SQL written in module m (drizzle `sql` templates, and
 * plain strings that read as SQL) never names an object in another module's schema.
 */
export function sqlFindings(layout: Layout, sources: SourceCache): Finding[] {
  return layout.modules.flatMap((module) => {
    const others = new Set(layout.modules.filter((other) => other !== module));
    if (others.size === 0) return [];
    return typeScriptFiles(layout.rootDir, `${modulesDir}/${module}`).flatMap((file) =>
      sqlPieces(sources.get(file)).flatMap((piece) =>
        foreignNames(piece.text, others).map(({ other, name, offset }) => ({
          file,
          line: piece.line + newlinesBefore(piece.text, offset),
          rule: 'no-foreign-tables' as const,
          message: `SQL in module ${module} names ${name}, an object in schema ${other} of module ${other}`,
          fix: `ask module ${other} through src/modules/${other}/index.ts or react to its events; never query its schema`,
        })),
      ),
    );
  });
}

/** The texts of a file that hold SQL, each with the line it starts on. */
function sqlPieces(sourceFile: ts.SourceFile): TextPiece[] {
  const bindings = importBindings(sourceFile);
  const specifiers = new Set<ts.Node>(moduleSpecifiers(sourceFile));
  const isSqlTag = (tag: ts.Expression): boolean => {
    if (!ts.isIdentifier(tag)) return false;
    const binding = bindings.get(tag.text);
    return (
      tag.text === 'sql' ||
      (binding?.imported === 'sql' && binding.specifier.startsWith('drizzle-orm'))
    );
  };
  const pieces: TextPiece[] = [];
  walk(sourceFile, (node) => {
    if (ts.isTaggedTemplateExpression(node)) {
      if (isSqlTag(node.tag)) pieces.push(...templatePieces(node.template));
      return;
    }
    const isText =
      ts.isStringLiteral(node) ||
      ts.isNoSubstitutionTemplateLiteral(node) ||
      ts.isTemplateExpression(node);
    if (!isText || specifiers.has(node) || ts.isTaggedTemplateExpression(node.parent)) return;
    const parts = templatePieces(node);
    const whole = parts.map((part) => part.text).join(' ');
    if (sqlKeyword.test(whole) || quotedQualifiedName.test(whole) || isSqlRawArgument(node)) {
      pieces.push(...parts);
    }
  });
  return pieces;
}

function isSqlRawArgument(node: ts.Node): boolean {
  const call = node.parent;
  return (
    ts.isCallExpression(call) &&
    ts.isPropertyAccessExpression(call.expression) &&
    call.expression.name.text === 'raw' &&
    ts.isIdentifier(call.expression.expression) &&
    call.expression.expression.text === 'sql'
  );
}

/** The literal texts of a string or template; `${...}` parts are code, not SQL. */
function templatePieces(node: ts.TemplateLiteral | ts.StringLiteral): TextPiece[] {
  if (!ts.isTemplateExpression(node)) return [{ text: node.text, line: lineOf(node) }];
  return [node.head, ...node.templateSpans.map((span) => span.literal)].map((part) => ({
    text: part.text,
    line: lineOf(part),
  }));
}

function foreignNames(
  text: string,
  others: Set<string>,
): { other: string; name: string; offset: number }[] {
  const found: { other: string; name: string; offset: number }[] = [];
  for (const match of text.matchAll(qualifiedName)) {
    const [name, quoted, bare] = match;
    const schema = quoted ?? bare?.toLowerCase() ?? '';
    if (others.has(schema)) found.push({ other: schema, name: name.trim(), offset: match.index });
  }
  return found;
}

function newlinesBefore(text: string, offset: number): number {
  return text.slice(0, offset).split('\n').length - 1;
}
