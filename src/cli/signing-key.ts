import { generatePrivateJwk } from '../platform/auth/jwk.ts';

// `npm run -s keys:generate -- users|service`: prints a new Ed25519 private JWK (with its kid,
// the key's thumbprint) as a value for USERS_SIGNING_KEYS (`users`: an array of one key) or
// SERVICE_SIGNING_KEY (`service`: one key). The key goes to stdout only; keep it a secret.

const kind = process.argv[2];
if (kind !== 'users' && kind !== 'service') {
  process.stderr.write('usage: npm run -s keys:generate -- users|service\n');
  process.exit(2);
}
const key = generatePrivateJwk();
process.stdout.write(`${JSON.stringify(kind === 'users' ? [key] : key)}\n`);
