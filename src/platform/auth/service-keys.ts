import { generatePrivateJwk, type SigningKey, signingKeyOf } from './jwk.ts';
import { parsePrivateJwk } from './jwk-settings.ts';
import { keyFilePath, readOrCreateKeyFile } from './key-file.ts';
import type { ServiceCallerConfig } from './service-credentials-config.ts';

/** The file a local run keeps a component's generated service key in, under DATA_DIR. */
export const serviceKeyFile = (component: string) => `${component}-service-key.json`;

/**
 * A calling component's service key: SERVICE_SIGNING_KEY when set (production), otherwise made
 * on its first start and kept in `<DATA_DIR>/keys/<component>-service-key.json`.
 */
export function loadServiceSigningKey(
  component: string,
  config: ServiceCallerConfig & { DATA_DIR: string },
): SigningKey {
  if (config.SERVICE_SIGNING_KEY) return signingKeyOf(config.SERVICE_SIGNING_KEY);
  const path = keyFilePath(config.DATA_DIR, serviceKeyFile(component));
  const text = readOrCreateKeyFile(path, () => JSON.stringify(generatePrivateJwk(), null, 2));
  return signingKeyOf(parsePrivateJwk(text, path));
}
