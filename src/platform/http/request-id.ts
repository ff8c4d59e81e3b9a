/** What a caller's `X-Request-ID` may be to be kept: word characters, `-` and `=`, up to 128. */
const REQUEST_ID = /^[\w\-=]{1,128}$/;

/** The caller's request id when it sent a valid one, else a new one. */
export const requestIdOf = (given: string | undefined): string =>
  given !== undefined && REQUEST_ID.test(given) ? given : crypto.randomUUID();
