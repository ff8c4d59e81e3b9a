import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** Top-level folders the lint reads; missing ones are skipped. */
export const codeRoots = ['src', 'extracted', 'facade', 'test'] as const;

export const modulesDir = 'src/modules';
export const platformDir = 'src/platform';
export const migrationsDir = 'migrations';

/** The repository being linted, as the rules see it. */
export interface Layout {
  rootDir: string;
  /** Module names: the folders under src/modules. */
  modules: string[];
  /** Existing code roots, relative to rootDir. */
  roots: string[];
}

export function readLayout(rootDir: string): Layout {
  const modulesPath = join(rootDir, modulesDir);
  const modules = isDirectory(modulesPath)
    ? readdirSync(modulesPath, { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => entry.name)
        .sort()
    : [];
  const roots = codeRoots.filter((root) => isDirectory(join(rootDir, root)));
  return { rootDir, modules, roots };
}

/** Relative, forward-slashed path of an absolute one. */
export function toRelative(rootDir: string, absolutePath: string): string {
  return relative(rootDir, absolutePath).split(sep).join('/');
}

/** The module a relative path belongs to, if it lies under src/modules/<name>/. */
export function moduleOf(relativePath: string): string | undefined {
  const prefix = `${modulesDir}/`;
  if (!relativePath.startsWith(prefix)) return undefined;
  const rest = relativePath.slice(prefix.length);
  const slash = rest.indexOf('/');
  return slash > 0 ? rest.slice(0, slash) : undefined;
}

export function isTestFile(relativePath: string): boolean {
  return /\.test\.[cm]?tsx?$/.test(relativePath);
}

/** TypeScript files under a folder of rootDir (relative paths), skipping node_modules. */
export function typeScriptFiles(rootDir: string, folder: string): string[] {
  const base = join(rootDir, folder);
  if (!isDirectory(base)) return [];
  return readdirSync(base, { recursive: true, encoding: 'utf8' })
    .map((entry) => `${folder}/${entry.split(sep).join('/')}`)
    .filter((file) => !file.includes('/node_modules/'))
    .filter((file) => /\.[cm]?tsx?$/.test(file) && !file.endsWith('.d.ts'))
    .filter((file) => statSync(join(rootDir, file)).isFile())
    .sort();
}

export function filesWithExtension(rootDir: string, folder: string, extension: string): string[] {
  const base = join(rootDir, folder);
  if (!isDirectory(base)) return [];
  return readdirSync(base)
    .filter((name) => name.endsWith(extension))
    .map((name) => `${folder}/${name}`)
    .sort();
}

function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}
