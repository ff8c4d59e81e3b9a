import { type RulesetDefinition, Spectral } from '@stoplight/spectral-core';
import { oas } from '@stoplight/spectral-rulesets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchOpenApi, type OpenApiDocument, operationsOf } from './e2e/openapi-operations.ts';
import {
  type Environment,
  prepareEnvironment,
  type Running,
  runMonolith,
} from './e2e/running-monolith.ts';

// The monolith's served /openapi.json, linted with Spectral's `spectral:oas` ruleset (its
// recommended rules), as a client generator or a gateway would read it.

// The published ruleset's inferred type is narrower than RulesetDefinition's union.
const oasRuleset = { extends: [oas as RulesetDefinition] };

/** Spectral's DiagnosticSeverity (@stoplight/types): 0 error, 1 warning, 2 information, 3 hint. */
const severities = ['error', 'warning', 'information', 'hint'] as const;

interface Finding {
  rule: string;
  severity: (typeof severities)[number];
  at: string;
  message: string;
}

let environment: Environment;
let running: Running;
let doc: OpenApiDocument;
let findings: Finding[];

beforeAll(async () => {
  environment = await prepareEnvironment('embedded', 'openapi_lint');
  running = await runMonolith(environment, { SEED_DEMO_DATA: 'false' });
  doc = await fetchOpenApi(running.monolith.url);
  const spectral = new Spectral();
  spectral.setRuleset(oasRuleset);
  findings = (await spectral.run(JSON.stringify(doc))).map((result) => ({
    rule: String(result.code),
    severity: severities[result.severity] ?? 'hint',
    at: result.path.join('.'),
    message: result.message,
  }));
  const byRule = Object.groupBy(findings, (f) => `${f.severity} ${f.rule}`);
  console.info(
    'spectral:oas on the monolith:',
    Object.entries(byRule).map(([rule, list]) => `${rule} ×${list?.length}`),
  );
});
afterAll(async () => {
  await running?.monolith.stop();
  await environment?.cleanup();
});

describe("the monolith's OpenAPI document", () => {
  it('has no Spectral error', () => {
    expect(findings.filter((f) => f.severity === 'error')).toEqual([]);
  });

  it('gives every operation an operationId, a defined tag, and the document a server', () => {
    const fixed = ['operation-operationId', 'operation-tag-defined', 'oas3-api-servers'];
    expect(findings.filter((f) => fixed.includes(f.rule))).toEqual([]);
  });

  it('would be flagged without them (the lint is not a no-op)', async () => {
    const spectral = new Spectral();
    spectral.setRuleset(oasRuleset);
    const stripped = structuredClone(doc) as OpenApiDocument & { servers?: unknown };
    delete stripped.servers;
    const placeOrder = stripped.paths['/api/orders']?.post as { operationId?: string };
    delete placeOrder.operationId;
    const rules = (await spectral.run(JSON.stringify(stripped))).map((r) => r.code);
    expect(rules).toEqual(expect.arrayContaining(['operation-operationId', 'oas3-api-servers']));
  });

  it('documents the answers of the app itself on every operation', () => {
    const missing = operationsOf(doc).flatMap((op) => {
      const expected = ['401', '500', '503', ...(op.bodySchema ? ['413', '415'] : [])];
      return expected.filter((s) => !op.responses.includes(s)).map((s) => `${op.label} ${s}`);
    });
    expect(missing).toEqual([]);
  });
});
