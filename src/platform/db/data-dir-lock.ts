import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { StartupError } from '../startup-error.ts';

// PGlite is one process's private database: a second process opening the same directory would
// migrate and write it under the first one's feet. Nothing in PGlite stops that, so each
// directory gets a lock file beside it holding the owner's pid.

export class DataDirLocked extends StartupError {}

export interface DataDirLock {
  path: string;
  /** Removes the lock file, if it is still this process's. */
  release(): void;
}

function ownerOf(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it is only not ours to signal.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes `<directory>.lock` or throws DataDirLocked naming the directory and the live owner's pid
 * (this process too, if it has the directory open already). A lock left by a process that is
 * gone is taken over.
 */
export function lockDataDir(directory: string): DataDirLock {
  const path = `${directory}.lock`;
  const draft = `${path}.${process.pid}`;
  // Written aside, then linked into place: link() fails if the lock exists, and the lock
  // never exists without the pid in it.
  writeFileSync(draft, `${process.pid}\n`);
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(draft, path);
        return {
          path,
          release() {
            if (ownerOf(path) === process.pid) unlinkSync(path);
          },
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const owner = ownerOf(path);
      if (owner !== undefined && isAlive(owner)) {
        throw new DataDirLocked(
          `The database directory ${directory} is in use by process ${owner} (lock file ${path}). ` +
            'Stop that process first, or set DATA_DIR to another directory.',
        );
      }
      // Stale: its process is gone, so take it over. Two starters taking over one stale lock
      // in the same instant could both pass; that needs a crash and two simultaneous starts.
      try {
        unlinkSync(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    throw new DataDirLocked(`Could not take the lock ${path} on ${directory}; try again.`);
  } finally {
    unlinkSync(draft);
  }
}
