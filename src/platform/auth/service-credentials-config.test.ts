import { describe, expect, it } from 'vitest';
import { trustedCallersSetting } from './service-credentials-config.ts';

describe('SERVICE_TRUSTED_CALLERS', () => {
  it('reads each caller and the URL of its service keys', () => {
    expect(
      trustedCallersSetting.parse(
        'monolith=http://127.0.0.1:3001/.well-known/service-jwks.json, facade=http://facade:3000/.well-known/service-jwks.json',
      ),
    ).toEqual({
      monolith: 'http://127.0.0.1:3001/.well-known/service-jwks.json',
      facade: 'http://facade:3000/.well-known/service-jwks.json',
    });
    expect(trustedCallersSetting.parse(undefined)).toEqual({});
    expect(trustedCallersSetting.parse('')).toEqual({});
  });

  it('refuses an entry that is not <component>=<http(s) URL>', () => {
    for (const value of [
      'monolith',
      '=http://x/',
      'monolith=not a url',
      'Mono=http://x/',
      'a=ftp://x/',
    ]) {
      expect(trustedCallersSetting.safeParse(value).success, value).toBe(false);
    }
  });
});
