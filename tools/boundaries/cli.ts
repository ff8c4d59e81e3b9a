import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Finding } from './finding.ts';
import { lintBoundaries } from './lint.ts';

const usage = `Usage: npm run lint:boundaries -- [--root <dir>] [--json]

Checks the module boundaries of the modular monolith (see tools/boundaries/README.md).
  --root <dir>  repository to check (default: the current directory)
  --json        print the findings as a JSON array of {file, line, rule, message, fix}
Exit code: 0 clean, 1 findings, 2 the lint itself failed.`;

function humanReport(findings: Finding[]): string {
  if (findings.length === 0) return '✔ module boundaries: no findings';
  const lines = findings.map(
    (f) => `${f.file}:${f.line}  ${f.rule}\n  ${f.message}\n  fix: ${f.fix}`,
  );
  const perRule = new Map<string, number>();
  for (const f of findings) perRule.set(f.rule, (perRule.get(f.rule) ?? 0) + 1);
  const rules = [...perRule].map(([rule, count]) => `${count} ${rule}`).join(', ');
  const files = new Set(findings.map((f) => f.file)).size;
  const noun = findings.length === 1 ? 'finding' : 'findings';
  return `${lines.join('\n\n')}\n\n✖ module boundaries: ${findings.length} ${noun} in ${files} file${files === 1 ? '' : 's'} (${rules})`;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      root: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const findings = await lintBoundaries(resolve(values.root ?? process.cwd()));
  console.log(values.json ? JSON.stringify(findings, null, 2) : humanReport(findings));
  return findings.length > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    console.error(usage);
    process.exitCode = 2;
  },
);
