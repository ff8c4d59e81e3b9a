import { describe, expect, it } from 'vitest';
import { hashPassword, verifyAgainstDecoy, verifyPassword } from './passwords.ts';

describe('password hashing', () => {
  it('stores scrypt$N$r$p$salt$hash with a 16-byte salt and a 64-byte key, never the password', async () => {
    const stored = await hashPassword('correct horse battery');
    const [scheme, n, r, p, salt, hash, ...rest] = stored.split('$');
    expect([scheme, n, r, p, rest]).toEqual(['scrypt', '16384', '8', '1', []]);
    expect(Buffer.from(salt!, 'base64')).toHaveLength(16);
    expect(Buffer.from(hash!, 'base64')).toHaveLength(64);
    expect(stored).not.toContain('correct horse battery');
  });

  it('verifies the right password and rejects others', async () => {
    const stored = await hashPassword('correct horse battery');
    expect(await verifyPassword('correct horse battery', stored)).toBe(true);
    expect(await verifyPassword('correct horse batterY', stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
  });

  it('salts every hash, so one password never hashes alike twice', async () => {
    const [a, b] = await Promise.all([
      hashPassword('same-password'),
      hashPassword('same-password'),
    ]);
    expect(a).not.toBe(b);
    expect(await verifyPassword('same-password', a)).toBe(true);
    expect(await verifyPassword('same-password', b)).toBe(true);
  });

  it('reads the cost from the stored hash, so stronger parameters verify too', async () => {
    const stronger = await hashPassword('long-lived secret', { N: 65_536, r: 8, p: 2 });
    expect(stronger.startsWith('scrypt$65536$8$2$')).toBe(true);
    expect(await verifyPassword('long-lived secret', stronger)).toBe(true);
  });

  it('treats Unicode spellings of the same text as one password', async () => {
    const composed = 'caf\u00e9-au-lait';
    const decomposed = 'cafe\u0301-au-lait';
    expect(await verifyPassword(decomposed, await hashPassword(composed))).toBe(true);
  });

  it('never matches a malformed or hostile stored hash', async () => {
    const stored = await hashPassword('password-1');
    const [, , , , salt, hash] = stored.split('$');
    for (const bad of [
      '',
      'password-1',
      `bcrypt$16384$8$1$${salt}$${hash}`,
      `scrypt$16384$8$1$${salt}`,
      `scrypt$16384$8$1$${salt}$${hash}$extra`,
      `scrypt$1000$8$1$${salt}$${hash}`, // N not a power of two
      `scrypt$${2 ** 30}$8$1$${salt}$${hash}`, // would ask for gigabytes
      `scrypt$16384$0$1$${salt}$${hash}`,
      `scrypt$16384$8$1$${salt}$${Buffer.alloc(8).toString('base64')}`,
    ]) {
      expect(await verifyPassword('password-1', bad), bad).toBe(false);
    }
  });

  it('the decoy check always fails and does real scrypt work', async () => {
    await verifyAgainstDecoy('warm-up'); // the decoy hash is made once, lazily
    const start = performance.now();
    expect(await verifyAgainstDecoy('password-1')).toBe(false);
    // scrypt at N=2^14 takes tens of milliseconds; a lookup without hashing takes microseconds.
    expect(performance.now() - start).toBeGreaterThan(5);
  });
});
