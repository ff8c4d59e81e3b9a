/** One rule id per boundary the lint keeps; ids are stable, CI output and docs name them. */
export type RuleId =
  | 'module-public-surface'
  | 'platform-independent'
  | 'no-module-cycles'
  | 'extracted-standalone'
  | 'contracts-platform-only'
  | 'system-composition-root'
  | 'facade-through-contracts'
  | 'schema-per-module'
  | 'no-cross-schema-fk'
  | 'no-foreign-tables'
  | 'not-to-test'
  | 'not-to-dev-dep';

export interface Finding {
  /** Path relative to the linted root, with forward slashes. */
  file: string;
  /** 1-based. */
  line: number;
  rule: RuleId;
  message: string;
  fix: string;
}

export function sortFindings(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  const unique = findings.filter((f) => {
    const key = `${f.file}\0${f.line}\0${f.rule}\0${f.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return unique.sort(
    (a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.rule.localeCompare(b.rule),
  );
}
