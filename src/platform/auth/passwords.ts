import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';

/** OWASP's minimum for scrypt; the parameters travel in each hash, so they can rise later. */
const defaults = { N: 16_384, r: 8, p: 1 };
const SALT_BYTES = 16;
const KEY_BYTES = 64;
// Caps what a stored hash may ask for, so a corrupt row cannot exhaust memory.
const MAX_N = 1 << 20;
const MAX_RP = 16;

function derive(password: string, salt: Buffer, params: typeof defaults): Promise<Buffer> {
  const options: ScryptOptions = {
    ...params,
    // Node's default ceiling (32 MiB) is too low for N above 2^14; allow exactly what is needed.
    maxmem: 128 * params.N * params.r * params.p + 1024 * 1024,
  };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, KEY_BYTES, options, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/** `scrypt$N$r$p$salt$hash` with a fresh random salt; salt and hash in base64. */
export async function hashPassword(password: string, params = defaults): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, params);
  const { N, r, p } = params;
  return ['scrypt', N, r, p, salt.toString('base64'), key.toString('base64')].join('$');
}

function parseHash(stored: string) {
  const [scheme, n, r, p, salt, hash, ...rest] = stored.split('$');
  if (scheme !== 'scrypt' || rest.length > 0 || !salt || !hash) return undefined;
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  const isPowerOfTwo =
    Number.isInteger(params.N) && params.N > 1 && (params.N & (params.N - 1)) === 0;
  const inRange = (value: number) => Number.isInteger(value) && value >= 1 && value <= MAX_RP;
  if (!isPowerOfTwo || params.N > MAX_N || !inRange(params.r) || !inRange(params.p)) {
    return undefined;
  }
  return { params, salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') };
}

/** Constant-time comparison; a malformed stored hash never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed || parsed.hash.length !== KEY_BYTES) return false;
  const key = await derive(password, parsed.salt, parsed.params);
  return timingSafeEqual(key, parsed.hash);
}

let decoy: Promise<string> | undefined;

/**
 * Spends the same scrypt work as a real check and always fails, so a login for an unknown
 * account takes as long as one with a wrong password.
 */
export async function verifyAgainstDecoy(password: string): Promise<false> {
  decoy ??= hashPassword(randomBytes(16).toString('base64'));
  await verifyPassword(password, await decoy);
  return false;
}
