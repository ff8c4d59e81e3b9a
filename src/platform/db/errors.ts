/**
 * The SQLSTATE of a PostgreSQL error, wherever the driver put it: postgres.js and PGlite set
 * `code`, and drizzle wraps both in an error whose `cause` is the original.
 */
export function postgresErrorCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    if (typeof current !== 'object') return undefined;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Class 22 ("data exception"): the value itself cannot be stored, e.g. a NUL character in
 * text or a number out of range. Input caused it, so it is the caller's 400, not our 500.
 */
export const isDataException = (error: unknown) =>
  postgresErrorCode(error)?.startsWith('22') ?? false;
