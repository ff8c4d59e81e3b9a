/**
 * Tells an infrastructure failure (the database or Redis unreachable, a connection lost, a
 * deadline passed, the server shutting down or refusing connections) from an answer. Such an
 * error says nothing about the request: it is retried, or answered 503 with Retry-After, and
 * never taken as a business refusal ("stock unavailable", "card declined").
 */

/** A wait that outlived its bound (a query, a transaction, a reconnect). */
export class DeadlineExceeded extends Error {
  readonly code = 'DEADLINE_EXCEEDED';
}

/** Driver and socket codes that mean the connection, not the statement, failed. */
const CONNECTION_CODES = new Set([
  // postgres.js
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  // ours: a wait that outlived its bound; another component out of reach (service-client.ts)
  'DEADLINE_EXCEEDED',
  'UPSTREAM_UNAVAILABLE',
  // Node sockets and DNS
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  // ioredis, when it gives up on a command
  'MaxRetriesPerRequestError',
]);

/**
 * SQLSTATEs that a retry may cure: connection exceptions (08), insufficient resources (53,
 * e.g. too many connections), operator intervention (57: shutdown, cannot connect now,
 * statement timeout), lock timeout, serialization failure and deadlock.
 */
function transientSqlState(code: string): boolean {
  return (
    code.startsWith('08') ||
    code.startsWith('53') ||
    code.startsWith('57') ||
    code === '55P03' ||
    code === '40001' ||
    code === '40P01'
  );
}

/** ioredis reports a lost connection with a bare message and no code. */
const REDIS_CONNECTION_MESSAGES = ['Connection is closed.', "Stream isn't writeable"];

/** True when `error`, or an error it wraps (drizzle wraps the driver's), is an outage. */
export function isInfrastructureError(error: unknown): boolean {
  for (let cause = error, depth = 0; cause && depth < 8; depth++) {
    if (typeof cause !== 'object') return false;
    const { code, name, message, severity } = cause as {
      code?: unknown;
      name?: unknown;
      message?: unknown;
      severity?: unknown;
    };
    if (typeof code === 'string') {
      if (CONNECTION_CODES.has(code)) return true;
      if (/^[0-9A-Z]{5}$/.test(code) && transientSqlState(code)) return true;
    }
    if (typeof name === 'string' && CONNECTION_CODES.has(name)) return true;
    // A FATAL or PANIC error ends the session whatever its code.
    if (severity === 'FATAL' || severity === 'PANIC') return true;
    if (typeof message === 'string' && REDIS_CONNECTION_MESSAGES.some((m) => message.startsWith(m)))
      return true;
    if (cause instanceof AggregateError && cause.errors.some(isInfrastructureError)) return true;
    cause = (cause as { cause?: unknown }).cause;
  }
  return false;
}
