import { z } from 'zod';
import { configSlice } from '../config/base-config.ts';
import { privateJwkSetting } from './jwk-settings.ts';

/** A component that calls services signs its service tokens with its own key. */
export const serviceCallerConfig = configSlice(
  {
    /**
     * This component's Ed25519 private JWK (with a kid) for its service tokens; its public half
     * is served at /.well-known/service-jwks.json.
     */
    SERVICE_SIGNING_KEY: privateJwkSetting,
  },
  [
    (env) =>
      env.SERVICE_SIGNING_KEY
        ? undefined
        : {
            path: 'SERVICE_SIGNING_KEY',
            message:
              'SERVICE_SIGNING_KEY (an Ed25519 private JWK with a kid, as JSON) is required in production',
          },
  ],
);
export type ServiceCallerConfig = z.output<z.ZodObject<typeof serviceCallerConfig.shape>>;

const callerName = z.string().regex(/^[a-z][a-z0-9-]*$/, 'a component name (lowercase, dashes)');

/**
 * `monolith=http://monolith:3001/.well-known/service-jwks.json,facade=...`: each component
 * allowed to call, and where its service keys are published.
 */
export const trustedCallersSetting = z
  .string()
  .optional()
  .transform((value, ctx) => {
    const callers: Record<string, string> = {};
    for (const entry of (value ?? '').split(',').map((part) => part.trim())) {
      if (!entry) continue;
      const at = entry.indexOf('=');
      const name = callerName.safeParse(entry.slice(0, Math.max(at, 0)).trim());
      const url = z.url({ protocol: /^https?$/ }).safeParse(entry.slice(at + 1).trim());
      if (at < 1 || !name.success || !url.success) {
        ctx.addIssue({ code: 'custom', message: `"${entry}" is not <component>=<JWKS URL>` });
        return z.NEVER;
      }
      callers[name.data] = url.data;
    }
    return callers;
  });

/** A service (a callee) trusts the callers named here, and no one else. */
export const serviceCalleeConfig = configSlice({
  SERVICE_TRUSTED_CALLERS: trustedCallersSetting,
});
export type ServiceCalleeConfig = z.output<z.ZodObject<typeof serviceCalleeConfig.shape>>;
