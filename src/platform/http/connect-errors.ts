// How undici and the socket say that no connection was made: the request never reached the
// other side, so sending it again (or elsewhere) is safe whatever it is.

/** Codes with which undici or the socket report that no connection was made. */
const NOT_CONNECTED = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** The first `code` along an error's causes (undici wraps the socket's). */
export function errorCodeOf(error: unknown): string | undefined {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 4; depth++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    cause = cause.cause;
  }
  return undefined;
}

/** The code, when the error says the request never reached the other side. */
export function notConnectedCode(error: unknown): string | undefined {
  const code = errorCodeOf(error);
  return code !== undefined && NOT_CONNECTED.has(code) ? code : undefined;
}
