import { describe, expect, it } from 'vitest';
import { loadMonolithConfig } from './monolith-config.ts';
import { DEV_JWT_SECRET } from './platform/auth/auth-config.ts';
import { ConfigError } from './platform/config/base-config.ts';

const secret = 'a-production-secret-that-is-long-enough';
const production = { NODE_ENV: 'production', JWT_SECRET: secret, DATABASE_URL: 'postgres://db/x' };

describe("the monolith's configuration", () => {
  it('runs with no environment at all: port 3001, embedded database, dev signing key, demo data', () => {
    const config = loadMonolithConfig({});
    expect(config).toMatchObject({
      MONOLITH_PORT: 3001,
      JWT_SECRET: DEV_JWT_SECRET,
      SEED_DEMO_DATA: true,
      SAGA_LEASE_MS: 30_000,
      PAYMENT_PROVIDER_TIMEOUT_MS: 10_000,
    });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(loadMonolithConfig({ DATABASE_URL: 'postgres://db/commerce' }).SEED_DEMO_DATA).toBe(
      false,
    );
  });

  it("requires its modules' production secrets in production", () => {
    expect(() => loadMonolithConfig({ NODE_ENV: 'production' })).toThrow(
      /JWT_SECRET[\s\S]*DATABASE_URL|DATABASE_URL[\s\S]*JWT_SECRET/,
    );
    for (const weak of [DEV_JWT_SECRET, 'too-short-secret!']) {
      expect(() => loadMonolithConfig({ ...production, JWT_SECRET: weak })).toThrow(/JWT_SECRET/);
    }
    expect(loadMonolithConfig(production).JWT_SECRET).toBe(secret);
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
