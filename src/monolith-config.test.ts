import { describe, expect, it } from 'vitest';
import { loadMonolithConfig } from './monolith-config.ts';
import { generatePrivateJwk } from './platform/auth/jwk.ts';
import { ConfigError } from './platform/config/base-config.ts';

const usersKeys = [generatePrivateJwk(), generatePrivateJwk()];
const serviceKey = generatePrivateJwk();
const production = {
  NODE_ENV: 'production',
  USERS_SIGNING_KEYS: JSON.stringify(usersKeys),
  SERVICE_SIGNING_KEY: JSON.stringify(serviceKey),
  DATABASE_URL: 'postgres://db/x',
};

describe("the monolith's configuration", () => {
  it('runs with no environment at all: port 3001, embedded database, keys made on start, demo data', () => {
    const config = loadMonolithConfig({});
    expect(config.USERS_SIGNING_KEYS).toBeUndefined();
    expect(config.SERVICE_SIGNING_KEY).toBeUndefined();
    expect(config).toMatchObject({
      MONOLITH_PORT: 3001,
      JWT_ISSUER: 'commerce',
      SEED_DEMO_DATA: true,
      SAGA_LEASE_MS: 30_000,
      PAYMENT_PROVIDER_TIMEOUT_MS: 10_000,
    });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(loadMonolithConfig({ DATABASE_URL: 'postgres://db/commerce' }).SEED_DEMO_DATA).toBe(
      false,
    );
  });

  it('requires its signing keys and database in production, naming each', () => {
    let message = '';
    try {
      loadMonolithConfig({ NODE_ENV: 'production' });
    } catch (error) {
      message = String(error);
    }
    expect(
      message
        .match(/^ {2}\w+(?=:)/gm)
        ?.map((line) => line.trim())
        .sort(),
    ).toEqual(['DATABASE_URL', 'SERVICE_SIGNING_KEY', 'USERS_SIGNING_KEYS']);
    const config = loadMonolithConfig(production);
    expect(config.USERS_SIGNING_KEYS).toEqual(usersKeys);
    expect(config.SERVICE_SIGNING_KEY).toEqual(serviceKey);
  });

  it('refuses signing keys that are not Ed25519 private JWKs with kids of their own', () => {
    const { kid: _, ...withoutKid } = generatePrivateJwk();
    const { d: __, ...publicOnly } = generatePrivateJwk();
    const twin = generatePrivateJwk();
    for (const keys of [
      'not json',
      '[]',
      JSON.stringify([withoutKid]),
      JSON.stringify([publicOnly]),
      JSON.stringify([twin, { ...generatePrivateJwk(), kid: twin.kid }]),
    ]) {
      expect(() => loadMonolithConfig({ USERS_SIGNING_KEYS: keys }), keys).toThrow(
        /USERS_SIGNING_KEYS/,
      );
    }
    expect(() => loadMonolithConfig({ SERVICE_SIGNING_KEY: JSON.stringify(publicOnly) })).toThrow(
      /SERVICE_SIGNING_KEY/,
    );
  });

  it("refuses the saga's failure injection in production", () => {
    expect(() =>
      loadMonolithConfig({ ...production, SAGA_CRASH_AFTER: 'capture_payment' }),
    ).toThrow(ConfigError);
    expect(() =>
      loadMonolithConfig({ ...production, SAGA_CRASH_AFTER: 'capture_payment' }),
    ).toThrow(/SAGA_CRASH_AFTER: failure injection is not allowed in production/);
    expect(loadMonolithConfig({ SAGA_CRASH_AFTER: 'capture_payment' }).SAGA_CRASH_AFTER).toBe(
      'capture_payment',
    );
  });
});
