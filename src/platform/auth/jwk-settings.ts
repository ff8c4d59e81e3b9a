import { z } from 'zod';
import { type PrivateJwk, privateJwkSchema } from './jwk.ts';

/** Parses a setting holding JSON; a value that is not JSON is one issue, not a crash. */
const json = z.string().transform((text, ctx) => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'is not valid JSON' });
    return z.NEVER;
  }
});

/** Key ids pick the verifying key, so two keys under one id would make tokens ambiguous. */
export const privateJwkListSchema = z
  .array(privateJwkSchema)
  .min(1)
  .refine((keys) => new Set(keys.map((key) => key.kid)).size === keys.length, {
    message: 'every key needs its own kid',
  });

const unsetAsUndefined = (value: string | undefined) => (value?.trim() ? value : undefined);

/** A setting holding a JSON array of private JWKs (the first signs); unset or empty: none. */
export const privateJwkListSetting = z
  .string()
  .optional()
  .transform(unsetAsUndefined)
  .pipe(json.pipe(privateJwkListSchema).optional());

/** A setting holding one private JWK as JSON; unset or empty: none. */
export const privateJwkSetting = z
  .string()
  .optional()
  .transform(unsetAsUndefined)
  .pipe(json.pipe(privateJwkSchema).optional());

/** Reads a key file written by this code (or by an operator), held to the setting's rules. */
export function parsePrivateJwkList(text: string, source: string): PrivateJwk[] {
  const result = json.pipe(privateJwkListSchema).safeParse(text);
  if (!result.success) throw new Error(`${source}: not a JSON array of Ed25519 private JWKs`);
  return result.data;
}

/** Reads a key file holding one private JWK. */
export function parsePrivateJwk(text: string, source: string): PrivateJwk {
  const result = json.pipe(privateJwkSchema).safeParse(text);
  if (!result.success) throw new Error(`${source}: not an Ed25519 private JWK as JSON`);
  return result.data;
}
