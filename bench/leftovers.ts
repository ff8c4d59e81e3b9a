import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';

// What a bench made and must remove, in reverse order, on success, failure or Ctrl-C: its
// databases, Redis keys, worker threads, temporary directories.

export interface Leftovers {
  add(remove: () => Promise<void>): void;
  /** Takes back what was removed already (a worker that exited, a database dropped). */
  forget(remove: () => Promise<void>): void;
  /** Removes everything still listed, once, however often it is called. */
  cleanUp(): Promise<void>;
}

/** The bench's leftovers; SIGINT and SIGTERM remove them (saying `what`) and exit 130. */
export function benchLeftovers(what: string): Leftovers {
  const leftovers: Array<() => Promise<void>> = [];
  let cleaning: Promise<void> | undefined;
  const cleanUp = () => {
    cleaning ??= (async () => {
      // A copy: a remove may take itself off the list (a worker stopping) while this runs.
      for (const remove of [...leftovers].reverse()) {
        await remove().catch((error: unknown) => process.stderr.write(`cleanup: ${error}\n`));
      }
    })();
    return cleaning;
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`${signal}: removing ${what}\n`);
      cleanUp().finally(() => process.exit(130));
    });
  }
  return {
    add: (remove) => leftovers.push(remove),
    forget(remove) {
      const at = leftovers.indexOf(remove);
      if (at !== -1) leftovers.splice(at, 1);
    },
    cleanUp,
  };
}

/** `base` (a PostgreSQL URL) pointing at database `name`. */
export function databaseUrl(base: string, name: string): string {
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Runs one statement on the server of `postgresUrl` (its own short-lived connection). */
async function adminSql(postgresUrl: string, statement: string) {
  const admin = postgres(postgresUrl, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    await admin.unsafe(statement);
  } finally {
    await admin.end();
  }
}

/**
 * What a run makes to work in, named `<prefix>_<label>`: fresh databases on the server of
 * `postgresUrl` and temporary directories, each removed with the run's leftovers.
 */
export function scratchSpace(leftovers: Leftovers, postgresUrl: string, prefix: string) {
  return {
    /** A fresh database's URL, dropped when the bench ends however it ends. */
    async database(label: string): Promise<string> {
      const name = `${prefix}_${label}`;
      await adminSql(postgresUrl, `create database "${name}"`);
      leftovers.add(() => adminSql(postgresUrl, `drop database if exists "${name}" with (force)`));
      return databaseUrl(postgresUrl, name);
    },
    async directory(): Promise<string> {
      const dir = await mkdtemp(join(tmpdir(), `${prefix}-`));
      leftovers.add(() => rm(dir, { recursive: true, force: true }));
      return dir;
    },
  };
}
