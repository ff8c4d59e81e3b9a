import { expect } from 'vitest';
import type { Violation } from './response-conformance.ts';

// Answers that broke /openapi.json, kept until the test that caused them ends; the setup file
// `fail-on-nonconforming-answers.ts` fails that test with them. Only violations are kept, so a
// fuzz run of thousands of conforming answers costs nothing here.

const MAX_KEPT = 500;
const recorded: Violation[] = [];
let dropped = 0;

export function recordViolations(violations: Violation[]): void {
  for (const violation of violations) {
    if (recorded.length < MAX_KEPT) recorded.push(violation);
    else dropped++;
  }
}

/** Everything recorded since the last call, grouped: one line per operation, status and finding. */
function takeViolations(): string[] {
  const groups = new Map<string, { count: number; first: Violation }>();
  for (const violation of recorded.splice(0)) {
    const key = `${violation.operation} → ${violation.status}: ${violation.problem} ${violation.details.join('; ')}`;
    const group = groups.get(key);
    if (group) group.count++;
    else groups.set(key, { count: 1, first: violation });
  }
  const lines = [...groups.values()].map(({ count, first }) =>
    [
      `${first.operation} → ${first.status}: ${first.problem}${count > 1 ? ` (×${count})` : ''}`,
      ...first.details.map((detail) => `    ${detail}`),
      `    e.g. ${first.request}`,
    ].join('\n'),
  );
  if (dropped > 0) lines.push(`… and ${dropped} more not kept`);
  dropped = 0;
  return lines;
}

/** Fails, naming each operation, status and finding, when anything was recorded since last asked. */
export function expectNoViolations(when = ''): void {
  const findings = takeViolations();
  if (findings.length === 0) return;
  expect.fail(`answers that break /openapi.json${when}:\n${findings.join('\n')}`);
}
