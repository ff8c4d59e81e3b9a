import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { pino } from 'pino';
import { userTokensRevoked } from '../contracts/users/v1/token-events.ts';
import { createModules } from '../monolith.ts';
import { loadMonolithConfig, type MonolithConfig } from '../monolith-config.ts';
import { generatePrivateJwk } from '../platform/auth/jwk.ts';
import { signingKeySet } from '../platform/auth/signing-keys.ts';
import { tokenRevocations } from '../platform/auth/token-revocations.ts';
import { createEventBus } from '../platform/bus/event-bus.ts';
import type { ModuleContext } from '../platform/module.ts';
import { renderEventCatalogue } from './event-catalogue.ts';

// `npm run docs:events`: writes docs/events.md from the monolith's modules and their contracts.
// `-- --check` writes nothing and exits 1 when the file is stale (for CI).
// The modules are only constructed, never started: an in-memory PGlite and an idle bus suffice.

const target = resolve(import.meta.dirname, '../../docs/events.md');
const check = process.argv.includes('--check');

const client = new PGlite();
try {
  const db = drizzle({ client });
  const logger = pino({ level: 'silent' });
  const bus = createEventBus({ db, logger, maxAttempts: 1, retryBaseMs: 1_000 });
  const context: ModuleContext<MonolithConfig> = {
    config: loadMonolithConfig({}),
    db,
    events: bus,
    logger,
  };
  // Keys made for this run only: the catalogue signs nothing, and no key file is written.
  const signingKeys = signingKeySet([generatePrivateJwk()]);
  // The monolith's revocation list (wired in its build()) is a subscriber too.
  const revocations = tokenRevocations({
    component: 'monolith',
    db,
    logger,
    event: userTokensRevoked,
  });
  const markdown = renderEventCatalogue([
    revocations,
    ...createModules(context, { signingKeys }).all,
  ]);
  const shown = relative(process.cwd(), target);

  if (check) {
    let current = '';
    try {
      current = readFileSync(target, 'utf8');
    } catch {
      // A missing file is simply stale.
    }
    if (current !== markdown) {
      process.stderr.write(`${shown} is out of date: run npm run docs:events\n`);
      process.exitCode = 1;
    } else {
      process.stdout.write(`${shown} is up to date\n`);
    }
  } else {
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, markdown);
    process.stdout.write(`wrote ${shown}\n`);
  }
} finally {
  await client.close();
}
