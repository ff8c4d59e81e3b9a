import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('config', () => {
  it('runs with no environment at all: embedded database, in-process bus, dev admin token', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      NODE_ENV: 'development',
      MONOLITH_PORT: 3001,
      DATA_DIR: '.data',
      ADMIN_TOKEN: 'dev-admin-token',
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
    expect(() => loadConfig({ MONOLITH_PORT: 'eighty', REDIS_URL: 'not a url' })).toThrow(
      ConfigError,
    );
    try {
      loadConfig({ MONOLITH_PORT: 'eighty', REDIS_URL: 'not a url' });
    } catch (error) {
      expect(String(error)).toContain('MONOLITH_PORT');
      expect(String(error)).toContain('REDIS_URL');
    }
  });

  it('requires production secrets in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(
      /ADMIN_TOKEN[\s\S]*DATABASE_URL|DATABASE_URL[\s\S]*ADMIN_TOKEN/,
    );
    expect(() =>
      loadConfig({
        NODE_ENV: 'production',
        ADMIN_TOKEN: 'dev-admin-token',
        DATABASE_URL: 'postgres://db/x',
      }),
    ).toThrow(/ADMIN_TOKEN/);
    expect(
      loadConfig({
        NODE_ENV: 'production',
        ADMIN_TOKEN: 's3cret-admin',
        DATABASE_URL: 'postgres://db/x',
      }).ADMIN_TOKEN,
    ).toBe('s3cret-admin');
  });
});
