import { statSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generatePrivateJwk, signingKeyOf } from './jwk.ts';
import { loadServiceSigningKey } from './service-keys.ts';
import { loadUsersSigningKeys } from './signing-keys.ts';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});
const dataDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'signing-keys-'));
  dirs.push(dir);
  return dir;
};

describe("the users side's signing keys", () => {
  it('are made on the first start, kept owner-only under DATA_DIR/keys, and reused after', async () => {
    const DATA_DIR = await dataDir();
    const first = loadUsersSigningKeys({ DATA_DIR });
    const path = join(DATA_DIR, 'keys', 'users-signing-keys.json');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(DATA_DIR, 'keys')).mode & 0o777).toBe(0o700);
    const stored = JSON.parse(await readFile(path, 'utf8')) as Array<{ kid: string; d?: string }>;
    expect(stored.map((key) => key.kid)).toEqual([first.current.kid]);
    expect(stored[0]!.d).toEqual(expect.any(String));

    // A later start, and the other users implementation of the same run, read the same keys.
    const again = loadUsersSigningKeys({ DATA_DIR });
    expect(again.publicJwks()).toEqual(first.publicJwks());
    expect(await readdir(join(DATA_DIR, 'keys'))).toEqual(['users-signing-keys.json']);
  });

  it('come from USERS_SIGNING_KEYS when set: the first signs, all are published, no file', async () => {
    const DATA_DIR = await dataDir();
    const [next, previous] = [generatePrivateJwk(), generatePrivateJwk()];
    const keys = loadUsersSigningKeys({ DATA_DIR, USERS_SIGNING_KEYS: [next, previous] });
    expect(keys.current.kid).toBe(next.kid);
    expect(keys.publicJwks().map((jwk) => jwk.kid)).toEqual([next.kid, previous.kid]);
    // Public halves only: nothing published can sign.
    expect(keys.publicJwks().every((jwk) => !('d' in jwk))).toBe(true);
    expect(await readdir(DATA_DIR)).toEqual([]);
  });

  it('refuse a key whose public part is not the half of its private part', () => {
    const one = generatePrivateJwk();
    const other = generatePrivateJwk();
    expect(() => signingKeyOf({ ...one, x: other.x })).toThrow(/not the public half/);
  });
});

describe("a component's service key", () => {
  it('is made once per component under DATA_DIR/keys, or comes from SERVICE_SIGNING_KEY', async () => {
    const DATA_DIR = await dataDir();
    const monolith = loadServiceSigningKey('monolith', { DATA_DIR });
    const facade = loadServiceSigningKey('facade', { DATA_DIR });
    expect(loadServiceSigningKey('monolith', { DATA_DIR }).kid).toBe(monolith.kid);
    expect(facade.kid).not.toBe(monolith.kid);
    expect((await readdir(join(DATA_DIR, 'keys'))).sort()).toEqual([
      'facade-service-key.json',
      'monolith-service-key.json',
    ]);
    const configured = generatePrivateJwk();
    const key = loadServiceSigningKey('monolith', { DATA_DIR, SERVICE_SIGNING_KEY: configured });
    expect(key.publicJwk).toMatchObject({ kid: configured.kid, x: configured.x });
  });
});
