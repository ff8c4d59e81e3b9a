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

/**
 * The fingerprint of a request under an Idempotency-Key: method, path and body. A JSON body is
 * compared by its meaning (key order and spacing do not count); anything else byte for byte.
 */
export function requestHash(method: string, path: string, body: string): string {
  return createHash('sha256')
    .update(canonicalRequest(method, path, body))
    .digest('hex');
}

/**
 * The fingerprint of a request whose body carries a secret (a password): scrypt salted with the
 * key's scope and the key, so a stored fingerprint is as costly to brute-force as a stored
 * password hash, where a bare SHA-256 would hand the password out cheaply.
 */
export function secretRequestHash(
  method: string,
  path: string,
  body: string,
  salt: string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    scrypt(
      canonicalRequest(method, path, body),
      `idempotency:${salt}`,
      32,
      { N: 16_384, r: 8, p: 1 },
      (error, key) => (error ? reject(error) : resolve(key.toString('hex'))),
    );
  });
}

function canonicalRequest(method: string, path: string, body: string): string {
  let canonical = body;
  try {
    canonical = canonicalJson(JSON.parse(body));
  } catch {
    // Not JSON: the raw text is the request.
  }
  return `${method.toUpperCase()} ${path}\n${canonical}`;
}
