import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Finding } from './finding.ts';
import { filesWithExtension, type Layout, migrationsDir } from './layout.ts';

interface Token {
  /** Words are upper-cased; quoted identifiers keep their case and `quoted` is set. */
  text: string;
  quoted: boolean;
  line: number;
}

interface QualifiedName {
  schema: string;
  table: string;
}

/**
 * The SQL half of no-cross-schema-fk: in migrations/*.sql, a REFERENCES inside
 * CREATE TABLE / ALTER TABLE of one schema must name a table of that same schema.
 * Unqualified names are in the public schema.
 */
export function migrationFindings(layout: Layout): Finding[] {
  return filesWithExtension(layout.rootDir, migrationsDir, '.sql').flatMap((file) =>
    statements(tokenize(readFileSync(join(layout.rootDir, file), 'utf8'))).flatMap((statement) =>
      crossSchemaReferences(statement).map(({ owner, target, line }) => ({
        file,
        line,
        rule: 'no-cross-schema-fk' as const,
        message: `foreign key from "${owner.schema}"."${owner.table}" references "${target.schema}"."${target.table}" in another schema`,
        fix: `drop the foreign key (remove the .references()/foreignKey() that generated it) and keep the id as a plain column`,
      })),
    ),
  );
}

function crossSchemaReferences(
  statement: Token[],
): { owner: QualifiedName; target: QualifiedName; line: number }[] {
  const owner = statementTable(statement);
  if (!owner) return [];
  const found: { owner: QualifiedName; target: QualifiedName; line: number }[] = [];
  statement.forEach((token, i) => {
    if (token.quoted || token.text !== 'REFERENCES') return;
    const target = qualifiedName(statement, i + 1);
    if (target && target.name.schema !== owner.schema) {
      found.push({ owner, target: target.name, line: token.line });
    }
  });
  return found;
}

/** The table a CREATE TABLE or ALTER TABLE statement is about. */
function statementTable(statement: Token[]): QualifiedName | undefined {
  const words = statement.map((token) => (token.quoted ? '' : token.text));
  const tableAt = words.indexOf('TABLE');
  if (tableAt < 0 || !['CREATE', 'ALTER'].includes(words[0] ?? '')) return undefined;
  let at = tableAt + 1;
  const skip = ['IF', 'NOT', 'EXISTS', 'ONLY'];
  while (skip.includes(words[at] ?? '')) at += 1;
  return qualifiedName(statement, at)?.name;
}

function qualifiedName(tokens: Token[], at: number): { name: QualifiedName } | undefined {
  const first = tokens[at];
  if (!first || !isIdentifier(first)) return undefined;
  const dot = tokens[at + 1];
  const second = tokens[at + 2];
  if (dot?.text === '.' && !dot.quoted && second && isIdentifier(second)) {
    return { name: { schema: identifier(first), table: identifier(second) } };
  }
  return { name: { schema: 'public', table: identifier(first) } };
}

function isIdentifier(token: Token): boolean {
  return token.quoted || /^[A-Z_][A-Z0-9_$]*$/.test(token.text);
}

/** Unquoted identifiers fold to lower case in Postgres. */
function identifier(token: Token): string {
  return token.quoted ? token.text : token.text.toLowerCase();
}

function statements(tokens: Token[]): Token[][] {
  const result: Token[][] = [[]];
  for (const token of tokens) {
    if (token.text === ';' && !token.quoted) result.push([]);
    else result[result.length - 1]?.push(token);
  }
  return result.filter((statement) => statement.length > 0);
}

const dollarTag = /\$[A-Za-z_0-9]*\$/y;
const wordPattern = /[A-Za-z_][A-Za-z0-9_$]*/y;

function matchAt(pattern: RegExp, text: string, at: number): string | undefined {
  pattern.lastIndex = at;
  return pattern.exec(text)?.[0];
}

/** Words, quoted identifiers and punctuation; comments and string literals are dropped. */
function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  const advanceTo = (end: number): void => {
    for (let j = i; j < end; j++) if (sql[j] === '\n') line += 1;
    i = end;
  };
  const endOfQuoted = (quote: string): number => {
    let j = i + 1;
    while (j < sql.length) {
      if (sql[j] === quote && sql[j + 1] === quote) j += 2;
      else if (sql[j] === quote) return j + 1;
      else j += 1;
    }
    return sql.length;
  };
  while (i < sql.length) {
    const char = sql[i] as string;
    if (/\s/.test(char)) {
      advanceTo(i + 1);
    } else if (sql.startsWith('--', i)) {
      const end = sql.indexOf('\n', i);
      advanceTo(end < 0 ? sql.length : end);
    } else if (sql.startsWith('/*', i)) {
      const end = sql.indexOf('*/', i + 2);
      advanceTo(end < 0 ? sql.length : end + 2);
    } else if (char === "'") {
      advanceTo(endOfQuoted("'"));
    } else if (char === '"') {
      const start = line;
      const end = endOfQuoted('"');
      const text = sql.slice(i + 1, end - 1).replaceAll('""', '"');
      advanceTo(end);
      tokens.push({ text, quoted: true, line: start });
    } else if (char === '$' && matchAt(dollarTag, sql, i)) {
      const tag = matchAt(dollarTag, sql, i) as string;
      const end = sql.indexOf(tag, i + tag.length);
      advanceTo(end < 0 ? sql.length : end + tag.length);
    } else if (matchAt(wordPattern, sql, i)) {
      const word = matchAt(wordPattern, sql, i) as string;
      tokens.push({ text: word.toUpperCase(), quoted: false, line });
      advanceTo(i + word.length);
    } else {
      tokens.push({ text: char, quoted: false, line });
      advanceTo(i + 1);
    }
  }
  return tokens;
}
