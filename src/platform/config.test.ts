import { describe, expect, it } from 'vitest';
import { ConfigError, DEV_JWT_SECRET, loadConfig } from './config.ts';

describe('config', () => {
  it('runs with no environment at all: embedded database, in-process bus, dev signing key', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      NODE_ENV: 'development',
      MONOLITH_PORT: 3001,
      DATA_DIR: '.data',
      JWT_SECRET: DEV_JWT_SECRET,
      SEED_DEMO_DATA: true,
    });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.REDIS_URL).toBeUndefined();
  });

  it('treats an empty URL as unset and does not seed a real database by default', () => {
    expect(loadConfig({ REDIS_URL: '' }).REDIS_URL).toBeUndefined();
    expect(loadConfig({ DATABASE_URL: 'postgres://db/commerce' }).SEED_DEMO_DATA).toBe(false);
    expect(
      loadConfig({ DATABASE_URL: 'postgres://db/commerce', SEED_DEMO_DATA: 'true' }).SEED_DEMO_DATA,
    ).toBe(true);
  });

  it('names every bad variable', () => {
    const bad = () => loadConfig({ MONOLITH_PORT: 'eighty', REDIS_URL: 'not a url' });
    expect(bad).toThrow(ConfigError);
    expect(bad).toThrow(/MONOLITH_PORT[\s\S]*REDIS_URL/);
  });

  it('requires production secrets in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(
      /JWT_SECRET[\s\S]*DATABASE_URL|DATABASE_URL[\s\S]*JWT_SECRET/,
    );
    expect(() =>
      loadConfig({
        NODE_ENV: 'production',
        JWT_SECRET: DEV_JWT_SECRET,
        DATABASE_URL: 'postgres://db/x',
      }),
    ).toThrow(/JWT_SECRET/);
    expect(() =>
      loadConfig({
        NODE_ENV: 'production',
        JWT_SECRET: 'too-short-secret!',
        DATABASE_URL: 'postgres://db/x',
      }),
    ).toThrow(/JWT_SECRET/);
    const secret = 'a-production-secret-that-is-long-enough';
    expect(
      loadConfig({ NODE_ENV: 'production', JWT_SECRET: secret, DATABASE_URL: 'postgres://db/x' })
        .JWT_SECRET,
    ).toBe(secret);
  });

  it('refuses demo data in production, naming SEED_DEMO_DATA, and seeds none by default there', () => {
    const production = {
      NODE_ENV: 'production',
      JWT_SECRET: 'a-production-secret-that-is-long-enough',
      DATABASE_URL: 'postgres://db/x',
    };
    for (const flag of ['true', '1', 'yes']) {
      expect(() => loadConfig({ ...production, SEED_DEMO_DATA: flag })).toThrow(ConfigError);
      expect(() => loadConfig({ ...production, SEED_DEMO_DATA: flag })).toThrow(
        /SEED_DEMO_DATA: demo data .* not allowed in production/,
      );
    }
    expect(loadConfig(production).SEED_DEMO_DATA).toBe(false);
    expect(loadConfig({ ...production, SEED_DEMO_DATA: 'false' }).SEED_DEMO_DATA).toBe(false);
  });
});
