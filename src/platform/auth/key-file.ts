import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Where a component's generated keys live in a local run: `<DATA_DIR>/keys/<name>`. */
export const keyFilePath = (dataDir: string, name: string) => join(dataDir, 'keys', name);

/**
 * The key file's content, made by `create` when there is none yet (a first start). The file is
 * written whole under another name and linked into place, so a process starting at the same
 * time never reads half a file, and only one of two racing creators wins: the other reads the
 * winner's keys. Readable by the owner only (0600), in a directory only the owner may enter.
 */
export function readOrCreateKeyFile(path: string, create: () => string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const draft = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(draft, create(), { mode: 0o600, flag: 'wx' });
  try {
    chmodSync(draft, 0o600);
    linkSync(draft, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    rmSync(draft, { force: true });
  }
  return readFileSync(path, 'utf8');
}
