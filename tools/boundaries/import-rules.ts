import {
  cruise,
  type ICruiseResult,
  type IForbiddenRuleType,
  type IViolation,
} from 'dependency-cruiser';
import type { Finding, RuleId } from './finding.ts';
import type { Layout } from './layout.ts';
import type { SourceCache } from './typescript-source.ts';
import { importLine } from './typescript-source.ts';

const privateModuleFile = {
  path: '^src/modules/[^/]+/',
  pathNot: '^src/modules/[^/]+/index\\.ts$',
};

const testFile = '\\.test\\.[cm]?tsx?$';

/** A component's drizzle-kit config: a tool of development (migrations), never run by the app. */
const drizzleConfig = '(^|/)drizzle\\.config\\.ts$';

/** What ships in the image: the components' folders, without their tests and tooling configs. */
const productionCode = { path: '^(src|extracted|facade)/', pathNot: [testFile, drizzleConfig] };

interface ImportRule {
  rule: RuleId;
  /** What dependency-cruiser checks; its name is the key back to this rule. */
  cruiser: IForbiddenRuleType & { name: string };
  describe(from: string, to: string): { message: string; fix: string };
}

/** The import boundaries, as dependency-cruiser forbidden rules (paths relative to the root). */
export const importRules: ImportRule[] = [
  {
    rule: 'module-public-surface',
    cruiser: {
      name: 'module-public-surface-from-outside',
      from: { pathNot: ['^src/modules/', '^facade/', '^extracted/', '^test/modules/'] },
      to: privateModuleFile,
    },
    describe: privateFileOfModule,
  },
  {
    // A module's test support (fixtures, fakes) sees what the module's own tests see.
    rule: 'module-public-surface',
    cruiser: {
      name: 'module-public-surface-from-module-test-support',
      from: { path: '^test/modules/([^/]+)/' },
      to: {
        path: privateModuleFile.path,
        pathNot: ['^src/modules/$1/', privateModuleFile.pathNot],
      },
    },
    describe: privateFileOfModule,
  },
  {
    rule: 'module-public-surface',
    cruiser: {
      name: 'module-public-surface-from-module',
      from: { path: '^src/modules/([^/]+)/' },
      to: {
        path: privateModuleFile.path,
        pathNot: ['^src/modules/$1/', privateModuleFile.pathNot],
      },
    },
    describe: privateFileOfModule,
  },
  {
    rule: 'platform-independent',
    cruiser: {
      name: 'platform-independent',
      from: { path: '^src/platform/' },
      to: {
        path: [
          '^src/modules/',
          '^facade/',
          '^extracted/',
          '^src/monolith\\.ts$',
          '^src/main\\.ts$',
        ],
      },
    },
    describe: (_from, to) => ({
      message: `the platform imports ${to}; the shared kernel must know no module, facade, service or composition root`,
      fix: 'move the shared part into src/platform, or declare a port in src/platform that the other side implements and src/monolith.ts wires',
    }),
  },
  {
    rule: 'extracted-standalone',
    cruiser: {
      name: 'extracted-standalone-no-modules',
      from: { path: '^extracted/' },
      to: { path: '^src/modules/' },
    },
    describe: (from, to) => ({
      message: `service ${segment(from, 1)} imports ${to} from the monolith's modules`,
      fix: `keep what the service needs inside extracted/${segment(from, 1)} (or call the monolith over HTTP); only src/platform and src/contracts may be shared`,
    }),
  },
  {
    rule: 'extracted-standalone',
    cruiser: {
      name: 'extracted-standalone-no-other-service',
      from: { path: '^extracted/([^/]+)/' },
      to: { path: '^extracted/', pathNot: '^extracted/$1/' },
    },
    describe: (from, to) => ({
      message: `service ${segment(from, 1)} imports ${to}, a file of service ${segment(to, 1)}`,
      fix: `call ${segment(to, 1)} over its HTTP API; share code only through src/platform and src/contracts`,
    }),
  },
  {
    // The published language is what both sides of an extraction share: it may lean on the
    // platform, never on a module, a service, the facade or a composition root.
    rule: 'contracts-platform-only',
    cruiser: {
      name: 'contracts-platform-only',
      from: { path: '^src/contracts/', pathNot: testFile },
      to: { path: '^(src|extracted|facade|test)/', pathNot: '^src/(platform|contracts)/' },
    },
    describe: (from, to) => ({
      message: `contract ${from} imports ${to}; a published contract imports only src/platform`,
      fix: 'define the schema in src/contracts (the module then imports it from there), or move the shared part into src/platform',
    }),
  },
  {
    // The monolith does not know the services: only the whole system's composition root starts
    // them, and it reaches each through its surface.
    rule: 'system-composition-root',
    cruiser: {
      name: 'system-composition-root-only',
      from: { path: '^src/', pathNot: ['^src/system\\.ts$', testFile] },
      to: { path: '^(extracted|facade)/' },
    },
    describe: (from, to) => ({
      message: `${from} imports ${to}; in src/ only src/system.ts knows the services and the facade`,
      fix: 'reach the service over HTTP through a port adapter (src/adapters/<owner>/), or wire it in src/system.ts',
    }),
  },
  {
    rule: 'system-composition-root',
    cruiser: {
      name: 'system-composition-root-through-index',
      from: { path: '^src/system\\.ts$' },
      to: { path: '^(extracted/[^/]+|facade)/', pathNot: '^(extracted/[^/]+|facade)/index\\.ts$' },
    },
    describe: (_from, to) => ({
      message: `src/system.ts imports ${to}, not the component's index.ts`,
      fix: "export what the system needs from the component's index.ts and import it from there",
    }),
  },
  {
    rule: 'facade-through-contracts',
    cruiser: {
      name: 'facade-through-contracts',
      from: { path: '^facade/' },
      to: privateModuleFile,
    },
    describe: (_from, to) => ({
      message: `the facade imports ${to}, a private file of module ${segment(to, 2)}`,
      fix: `import from src/modules/${segment(to, 2)}/index.ts (export the contract there), or reach the module over HTTP`,
    }),
  },
  {
    rule: 'not-to-test',
    cruiser: {
      name: 'not-to-test',
      from: productionCode,
      to: { path: ['^test/', testFile] },
    },
    describe: (_from, to) => ({
      message: `production code imports ${to}, which is test code`,
      fix: 'move what production needs out of test/ (or the *.test.ts file) into the production folder that uses it',
    }),
  },
  {
    rule: 'not-to-dev-dep',
    cruiser: {
      name: 'not-to-dev-dep',
      from: productionCode,
      to: { dependencyTypes: ['npm-dev'] },
    },
    describe: (_from, to) => ({
      message: `production code imports ${packageOf(to)}, a devDependency: the image installs without it`,
      fix: 'move the package to dependencies in package.json, or keep its use in tests and tools',
    }),
  },
];

function privateFileOfModule(_from: string, to: string): { message: string; fix: string } {
  const module = segment(to, 2);
  return {
    message: `imports ${to}, a private file of module ${module}`,
    fix: `import from src/modules/${module}/index.ts (export what is needed there), or use an event or a port`,
  };
}

/** `node_modules/@scope/name/dist/x.js` → `@scope/name`. */
function packageOf(path: string): string {
  const [first, second] = path.replace(/^.*node_modules\//, '').split('/');
  return first?.startsWith('@') ? `${first}/${second}` : (first ?? path);
}

function segment(path: string, index: number): string {
  return path.split('/')[index] ?? path;
}

/** Runs dependency-cruiser over the layout's code roots with the import rules. */
export async function cruiseImports(layout: Layout): Promise<ICruiseResult | undefined> {
  if (layout.roots.length === 0) return undefined;
  const { output } = await cruise(
    layout.roots,
    {
      baseDir: layout.rootDir,
      validate: true,
      ruleSet: {
        forbidden: importRules.map(({ cruiser }) => ({ severity: 'error' as const, ...cruiser })),
      },
      // tsc as parser and pre-compilation deps: `import type` counts as an import.
      parser: 'tsc',
      tsPreCompilationDeps: true,
      // Packages are seen (not-to-dev-dep needs them) but not followed.
      doNotFollow: { path: 'node_modules' },
      // Only what the lint reads: tests and tools' fixtures outside the roots stay out.
      includeOnly: `^(${layout.roots.join('|')}|node_modules)/`,
    },
    { extensions: ['.ts', '.tsx', '.mts', '.cts', '.js', '.mjs', '.cjs', '.json'] },
  );
  if (typeof output === 'string') throw new Error('dependency-cruiser returned no result');
  return output;
}

export function importFindings(result: ICruiseResult | undefined, sources: SourceCache): Finding[] {
  const byName = new Map(importRules.map((rule) => [rule.cruiser.name, rule]));
  return (result?.summary.violations ?? []).flatMap((violation: IViolation) => {
    const rule = byName.get(violation.rule.name);
    if (!rule) return [];
    const specifier = violation.unresolvedTo ?? violation.to;
    return [
      {
        file: violation.from,
        line: importLine(sources.get(violation.from), specifier),
        rule: rule.rule,
        ...rule.describe(violation.from, violation.to),
      },
    ];
  });
}
