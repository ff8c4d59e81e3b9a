import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Finding } from './finding.ts';
import { lintBoundaries } from './lint.ts';

const fixture = (name: string): string =>
  fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));

/** What a test pins down: which rule fired, where. */
const where = (findings: Finding[]) =>
  findings.map(({ file, line, rule }) => ({ file, line, rule }));

describe('lintBoundaries', () => {
  it('finds nothing in a tree that keeps every boundary', async () => {
    expect(await lintBoundaries(fixture('clean'))).toEqual([]);
  });

  it('module-public-surface: flags value and type-only imports of a private module file', async () => {
    expect(where(await lintBoundaries(fixture('module-public-surface')))).toEqual([
      { file: 'src/modules/orders/service.ts', line: 1, rule: 'module-public-surface' },
      { file: 'src/monolith.ts', line: 2, rule: 'module-public-surface' },
      // A module's test support may use its own module's internals, not another's.
      { file: 'test/modules/catalog/fixture.ts', line: 2, rule: 'module-public-surface' },
    ]);
  });

  it('not-to-test and not-to-dev-dep: production code imports neither test code nor dev tools (a drizzle config may)', async () => {
    // The packages are made here: a node_modules folder cannot be committed with the fixture.
    const root = mkdtempSync(join(tmpdir(), 'boundaries-'));
    try {
      cpSync(fixture('not-to-test'), root, { recursive: true });
      for (const name of ['fixture-runtime', 'fixture-dev-tool']) {
        const folder = join(root, 'node_modules', name);
        mkdirSync(folder, { recursive: true });
        writeFileSync(join(folder, 'package.json'), JSON.stringify({ name, main: 'index.js' }));
        writeFileSync(join(folder, 'index.js'), 'export const value = 1;\n');
      }
      const findings = await lintBoundaries(root);
      expect(where(findings)).toEqual([
        { file: 'src/platform/clock.ts', line: 1, rule: 'not-to-test' },
        { file: 'src/platform/helper.ts', line: 1, rule: 'not-to-test' },
        { file: 'src/platform/logging.ts', line: 2, rule: 'not-to-dev-dep' },
      ]);
      expect(findings[2]?.message).toContain('fixture-dev-tool');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('platform-independent: flags the platform importing a module', async () => {
    expect(where(await lintBoundaries(fixture('platform-independent')))).toEqual([
      { file: 'src/platform/health.ts', line: 3, rule: 'platform-independent' },
    ]);
  });

  it('no-module-cycles: reports the cycle path once, not the acyclic importer', async () => {
    const findings = await lintBoundaries(fixture('no-module-cycles'));
    expect(where(findings)).toEqual([
      { file: 'src/modules/catalog/service.ts', line: 2, rule: 'no-module-cycles' },
    ]);
    expect(findings[0]?.message).toContain('catalog → orders → catalog');
    expect(findings[0]?.message).toContain('src/modules/orders/service.ts:1');
  });

  it('extracted-standalone: flags a service importing a module or another service, not a contract', async () => {
    const findings = await lintBoundaries(fixture('extracted-standalone'));
    expect(where(findings)).toEqual([
      { file: 'extracted/users-service/app.ts', line: 2, rule: 'extracted-standalone' },
      { file: 'extracted/users-service/app.ts', line: 3, rule: 'extracted-standalone' },
    ]);
    expect(findings[1]?.message).toContain('payments-service');
    // The payments-service fixture imports the published contract: allowed.
    expect(findings.map((f) => f.file)).not.toContain('extracted/payments-service/money.ts');
  });

  it('contracts-platform-only: flags a contract importing a module, not the platform', async () => {
    expect(where(await lintBoundaries(fixture('contracts-platform-only')))).toEqual([
      { file: 'src/contracts/users/v1/index.ts', line: 2, rule: 'contracts-platform-only' },
    ]);
  });

  it('system-composition-root: only src/system.ts reaches the services and the facade, through their index.ts', async () => {
    expect(where(await lintBoundaries(fixture('system-composition-root')))).toEqual([
      { file: 'src/monolith.ts', line: 1, rule: 'system-composition-root' },
      { file: 'src/system.ts', line: 3, rule: 'system-composition-root' },
    ]);
  });

  it('facade-through-contracts: flags the facade importing a private module file', async () => {
    expect(where(await lintBoundaries(fixture('facade-through-contracts')))).toEqual([
      { file: 'facade/routes.ts', line: 2, rule: 'facade-through-contracts' },
    ]);
  });

  it('schema-per-module: flags pgTable (aliased or namespaced) and a misnamed pgSchema', async () => {
    const findings = await lintBoundaries(fixture('schema-per-module'));
    expect(where(findings)).toEqual([
      { file: 'src/modules/catalog/audit.ts', line: 3, rule: 'schema-per-module' },
      { file: 'src/modules/catalog/schema.ts', line: 3, rule: 'schema-per-module' },
      { file: 'src/modules/orders/schema.ts', line: 3, rule: 'schema-per-module' },
    ]);
    expect(findings[2]?.fix).toContain("pgSchema('orders')");
  });

  it('no-cross-schema-fk: flags drizzle references/foreignKey and SQL migrations', async () => {
    const findings = await lintBoundaries(fixture('no-cross-schema-fk'));
    expect(where(findings)).toEqual([
      { file: 'migrations/0001_order_items.sql', line: 8, rule: 'no-cross-schema-fk' },
      { file: 'src/modules/orders/schema.ts', line: 7, rule: 'no-cross-schema-fk' },
      { file: 'src/modules/orders/schema.ts', line: 14, rule: 'no-cross-schema-fk' },
    ]);
    expect(findings[0]?.message).toContain('"catalog"."products"');
  });

  it('no-foreign-tables: flags SQL naming another schema and an index exporting tables', async () => {
    const findings = await lintBoundaries(fixture('no-foreign-tables'));
    expect(where(findings)).toEqual([
      { file: 'src/modules/cart/index.ts', line: 4, rule: 'no-foreign-tables' },
      { file: 'src/modules/catalog/index.ts', line: 2, rule: 'no-foreign-tables' },
      { file: 'src/modules/orders/service.ts', line: 6, rule: 'no-foreign-tables' },
      { file: 'src/modules/orders/service.ts', line: 7, rule: 'no-foreign-tables' },
    ]);
    expect(findings[2]?.message).toContain('catalog.products');
  });

  it('finds nothing in this repository', async () => {
    expect(await lintBoundaries(process.cwd())).toEqual([]);
  });
});

describe('cli', () => {
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 30_000 });

  it('exits 1 and prints the findings as JSON with --json', () => {
    const result = run('--root', fixture('platform-independent'), '--json');
    expect(result.status).toBe(1);
    const findings = JSON.parse(result.stdout) as Finding[];
    expect(findings).toEqual([
      expect.objectContaining({
        file: 'src/platform/health.ts',
        line: 3,
        rule: 'platform-independent',
      }),
    ]);
    expect(Object.keys(findings[0] ?? {}).sort()).toEqual([
      'file',
      'fix',
      'line',
      'message',
      'rule',
    ]);
  });

  it('prints file:line, rule and fix for people, with a summary line', () => {
    const result = run('--root', fixture('facade-through-contracts'));
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('facade/routes.ts:2  facade-through-contracts');
    expect(result.stdout).toContain('fix: ');
    expect(result.stdout.trim().split('\n').at(-1)).toMatch(/1 finding in 1 file/);
  });

  it('exits 0 on a clean tree', () => {
    const result = run('--root', fixture('clean'));
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('no findings');
  });
});
