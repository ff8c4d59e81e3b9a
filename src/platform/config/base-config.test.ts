import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ConfigError,
  componentConfigSchema,
  configSlice,
  loadConfig,
  optionalUrl,
  portSetting,
} from './base-config.ts';

// A component of its own, so the base is proven apart from any real component's slice.
const widgetConfig = componentConfigSchema(
  configSlice(
    {
      WIDGET_PORT: portSetting(3999),
      WIDGET_DATABASE_URL: optionalUrl,
      WIDGET_SECRET: z.string().default('dev'),
    },
    [
      (env) =>
        env.WIDGET_SECRET === 'dev'
          ? { path: 'WIDGET_SECRET', message: 'a real WIDGET_SECRET is required in production' }
          : undefined,
    ],
  ),
  { databaseUrl: 'WIDGET_DATABASE_URL' },
);
const load = (env: Record<string, string>) => loadConfig(widgetConfig, env);

describe('a component configuration (base plus its own slice)', () => {
  it('runs with no environment: embedded database, in-process bus, demo data', () => {
    const config = load({});
    expect(config).toMatchObject({
      NODE_ENV: 'development',
      DATA_DIR: '.data',
      WIDGET_PORT: 3999,
      SEED_DEMO_DATA: true,
    });
    expect(config.WIDGET_DATABASE_URL).toBeUndefined();
    expect(config.REDIS_URL).toBeUndefined();
  });

  it("treats an empty URL as unset and does not seed the component's real database by default", () => {
    expect(load({ REDIS_URL: '' }).REDIS_URL).toBeUndefined();
    expect(load({ WIDGET_DATABASE_URL: 'postgres://db/w' }).SEED_DEMO_DATA).toBe(false);
    expect(
      load({ WIDGET_DATABASE_URL: 'postgres://db/w', SEED_DEMO_DATA: 'true' }).SEED_DEMO_DATA,
    ).toBe(true);
  });

  it('names every bad variable', () => {
    const bad = () => load({ WIDGET_PORT: 'eighty', REDIS_URL: 'not a url' });
    expect(bad).toThrow(ConfigError);
    expect(bad).toThrow(/REDIS_URL: Invalid URL[\s\S]*WIDGET_PORT/);
  });

  it("requires the component's database URL and its slice's production rules in production", () => {
    expect(() => load({ NODE_ENV: 'production' })).toThrow(
      /WIDGET_DATABASE_URL: WIDGET_DATABASE_URL is required in production/,
    );
    expect(() => load({ NODE_ENV: 'production', WIDGET_DATABASE_URL: 'postgres://db/w' })).toThrow(
      /WIDGET_SECRET: a real WIDGET_SECRET/,
    );
    const production = {
      NODE_ENV: 'production',
      WIDGET_DATABASE_URL: 'postgres://db/w',
      WIDGET_SECRET: 'real',
    };
    expect(load(production).SEED_DEMO_DATA).toBe(false);
  });

  it('refuses demo data in production, naming SEED_DEMO_DATA', () => {
    const production = {
      NODE_ENV: 'production',
      WIDGET_DATABASE_URL: 'postgres://db/w',
      WIDGET_SECRET: 'real',
    };
    for (const flag of ['true', '1', 'yes']) {
      expect(() => load({ ...production, SEED_DEMO_DATA: flag })).toThrow(
        /SEED_DEMO_DATA: demo data .* not allowed in production/,
      );
    }
    expect(load({ ...production, SEED_DEMO_DATA: 'false' }).SEED_DEMO_DATA).toBe(false);
  });

  it("holds only the base and the component's own slice: no other component's settings", () => {
    const config = load({ SAGA_CRASH_AFTER: 'capture_payment', MONOLITH_PORT: '1' });
    expect(config).not.toHaveProperty('SAGA_CRASH_AFTER');
    expect(config).not.toHaveProperty('MONOLITH_PORT');
  });
});
