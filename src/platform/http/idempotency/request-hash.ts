import { createHash, scrypt } from 'node:crypto';

/** JSON with object keys sorted, so the same body hashes the same whatever its key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, field]) => field !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, field]) => `${JSON.stringify(key)}:${canonicalJson(field)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The fingerprint of a validated request body (so trimmed values compare equal). */
export const requestHash = (body: unknown) =>
  createHash('sha256').update(canonicalJson(body)).digest('hex');

/**
 * The fingerprint of a body that carries a secret (a password): scrypt salted with the
 * idempotency key, so a stored fingerprint is as costly to brute-force as a stored password
 * hash, where a bare SHA-256 would hand the password out cheaply.
 */
export function secretRequestHash(body: unknown, salt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    scrypt(
      canonicalJson(body),
      `idempotency:${salt}`,
      32,
      { N: 16_384, r: 8, p: 1 },
      (error, key) => (error ? reject(error) : resolve(key.toString('hex'))),
    );
  });
}
