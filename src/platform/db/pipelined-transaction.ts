import type { ReservedSql, Sql } from 'postgres';

/**
 * A transaction on a reserved postgres.js connection whose BEGIN travels with its first
 * statement. postgres.js's own `begin()` waits for BEGIN's answer before running anything, so
 * every transaction paid one extra round trip; here BEGIN is only queued, and the first query
 * goes out in the same write. Nested transactions (drizzle's) become savepoints.
 *
 * As in postgres.js, a statement that failed fails its transaction (or savepoint) even if the
 * work caught the error: the server has aborted it, and COMMIT would quietly roll back.
 * `wrap` turns the connection into the client the work sees (the preparing proxy).
 */
export async function pipelinedTransaction<T>(
  client: Sql,
  work: (tx: Sql) => T | Promise<T>,
  wrap: (tx: Sql) => Sql,
): Promise<T> {
  const connection = await client.reserve();
  const began = connection.unsafe('begin').execute();
  // Looked at after the work; until then a failure must not count as unhandled.
  began.catch(() => {});
  try {
    const result = await inScope(connection, work, wrap);
    await began;
    const committed = await connection.unsafe('commit');
    if (committed.command !== 'COMMIT') {
      throw new Error(
        `the transaction was not committed (the server answered ${committed.command})`,
      );
    }
    connection.release();
    return result;
  } catch (error) {
    // A lost connection is already counted closed by postgres.js: writing a ROLLBACK to it, or
    // handing it back to the pool, would put a dead socket to use. The server rolls back anyway.
    if (!lostConnection(error)) {
      const rolledBack = await connection.unsafe('rollback').then(
        () => true,
        (rollbackError: unknown) => !lostConnection(rollbackError),
      );
      if (rolledBack) connection.release();
    }
    throw error;
  }
}

/**
 * Runs `work` on a client whose statements are watched: the first one to fail is thrown once
 * the work is done, whether or not the work caught it. Each savepoint is a scope of its own,
 * so a failure the work rolled back to a savepoint does not fail the transaction around it.
 */
async function inScope<T>(
  connection: ReservedSql,
  work: (tx: Sql) => T | Promise<T>,
  wrap: (tx: Sql) => Sql,
): Promise<T> {
  let failure: { error: unknown } | undefined;
  let savepoints = 0;
  const watch = <Q extends Promise<unknown>>(query: Q): Q => {
    query.catch((error: unknown) => {
      failure ??= { error };
    });
    return query;
  };
  const savepoint = async <S>(...args: unknown[]): Promise<S> => {
    const nested = args[args.length - 1] as (tx: Sql) => S | Promise<S>;
    const name = `s${savepoints++}`;
    await watch(connection.unsafe(`savepoint ${name}`));
    try {
      const result = await inScope(connection, nested, wrap);
      await watch(connection.unsafe(`release savepoint ${name}`));
      return result;
    } catch (error) {
      await watch(connection.unsafe(`rollback to savepoint ${name}`));
      throw error;
    }
  };
  const scoped = new Proxy(connection, {
    get(target, property, receiver) {
      if (property === 'savepoint') return savepoint;
      if (property === 'unsafe') {
        return (...args: Parameters<ReservedSql['unsafe']>) => watch(target.unsafe(...args));
      }
      return Reflect.get(target, property, receiver);
    },
  }) as unknown as Sql;
  const result = await work(wrap(scoped));
  if (failure) throw failure.error;
  return result;
}

const CONNECTION_ERRORS = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  'ECONNRESET',
  'EPIPE',
]);

/** The error, or one it wraps (drizzle wraps the driver's), says the connection is gone. */
function lostConnection(error: unknown): boolean {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    const { code, severity } = cause as { code?: unknown; severity?: unknown };
    if (typeof code === 'string' && CONNECTION_ERRORS.has(code)) return true;
    if (severity === 'FATAL' || severity === 'PANIC') return true;
  }
  return false;
}
