import type { ReservedSql, Sql } from 'postgres';

/**
 * A transaction on a reserved postgres.js connection whose BEGIN travels with its first
 * statement. postgres.js's own `begin()` waits for BEGIN's answer before running anything, so
 * every transaction paid one extra round trip; here BEGIN is only queued, and the first query
 * goes out in the same write. Nested transactions (drizzle's) become savepoints.
 *
 * `wrap` turns the connection into the client the work sees (the preparing proxy).
 */
export async function pipelinedTransaction<T>(
  client: Sql,
  mode: string,
  work: (tx: Sql) => T | Promise<T>,
  wrap: (tx: Sql) => Sql,
): Promise<T> {
  const connection = await client.reserve();
  // Queued, not awaited: a failed BEGIN fails the first statement too, which ends up below.
  connection
    .unsafe(`begin ${mode.replace(/[^a-z ]/gi, '')}`)
    .execute()
    .catch(() => {});
  try {
    const result = await work(wrap(withSavepoints(connection, wrap)));
    await connection.unsafe('commit');
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

function withSavepoints(connection: ReservedSql, wrap: (tx: Sql) => Sql): Sql {
  let count = 0;
  const savepoint = async <T>(...args: unknown[]): Promise<T> => {
    const work = args[args.length - 1] as (tx: Sql) => T | Promise<T>;
    const name = `s${count++}`;
    await connection.unsafe(`savepoint ${name}`);
    try {
      const result = await work(wrap(tx));
      await connection.unsafe(`release savepoint ${name}`);
      return result;
    } catch (error) {
      await connection.unsafe(`rollback to savepoint ${name}`);
      throw error;
    }
  };
  const tx = new Proxy(connection, {
    get: (target, property, receiver) =>
      property === 'savepoint' ? savepoint : Reflect.get(target, property, receiver),
  }) as unknown as Sql;
  return tx;
}
