import { parseArgs } from 'node:util';
import { openMonolithDatabase } from '../../src/monolith.ts';
import { loadMonolithConfig } from '../../src/monolith-config.ts';
import { runBackfill } from './backfill.ts';
import { capabilities } from './capabilities.ts';
import { createProgress } from './progress.ts';
import { formatVerifyReport, verifyCapability } from './verify.ts';
import { facadeDatabaseUrl, recordVerifyInFacade } from './verify-record.ts';

// `npm run extract:backfill -- <capability> [--rate <rows/s>] [--batch <rows>]` and
// `npm run extract:verify -- <capability> [--json]`: the monolith's database (DATABASE_URL, else
// its PGlite directory under DATA_DIR) against the capability's service's (its own URL, else
// its directory). Exit 0: done, the stores agree; 1: a difference or a conflict; 2: usage.
// With FACADE_DATABASE_URL set, verify records its outcome there for the facade's parity gate.

const usage =
  'usage: extract:backfill -- <capability> [--rate <rows/s>] [--batch <rows>]\n' +
  '       extract:verify -- <capability> [--json]\n';

function fail(message: string): never {
  process.stderr.write(`${message}\n${usage}`);
  process.exit(2);
}

const positiveInteger = (flag: string, value: string | undefined) => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    fail(`--${flag} must be a whole number above 0, not "${value}"`);
  return n;
};

let parsed: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    allowPositionals: true,
    options: {
      rate: { type: 'string' },
      batch: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
}
try {
  parsed = parse();
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
const [command, name, ...extra] = parsed.positionals;
if (command !== 'backfill' && command !== 'verify') fail(`unknown command "${command ?? ''}"`);
const known = Object.keys(capabilities).join(', ');
if (name === undefined) fail(`name the capability to ${command}: one of ${known}`);
if (extra.length > 0) fail(`one capability at a time, not "${[name, ...extra].join(' ')}"`);
const capability = Object.hasOwn(capabilities, name) ? capabilities[name] : undefined;
if (!capability) fail(`unknown capability "${name}": known are ${known}`);
const rate = positiveInteger('rate', parsed.values.rate);
const batchSize = positiveInteger('batch', parsed.values.batch);
let facadeUrl: string | undefined;
try {
  facadeUrl = facadeDatabaseUrl();
} catch {
  fail('FACADE_DATABASE_URL must be a postgres:// URL');
}

const legacy = await openMonolithDatabase(loadMonolithConfig());
try {
  const service = await capability.openService();
  try {
    const options = {
      extraction: capability.extraction,
      legacyDb: legacy.db,
      serviceDb: service.db,
      ...(batchSize !== undefined && { batchSize }),
    };
    if (command === 'backfill') {
      const counts = await runBackfill({
        ...options,
        ...(rate !== undefined && { rate }),
        progress: createProgress({ name }),
        onConflict: (key) =>
          process.stderr.write(
            `conflict: ${name} ${key.id} was not copied: another row of the service holds its unique value (see extract:verify)\n`,
          ),
      });
      process.stdout.write(
        `${name}: copied ${counts.copied}, unchanged ${counts.unchanged}, conflicts ${counts.conflicts}, total ${counts.total}${counts.resumed ? ' (resumed)' : ''}\n`,
      );
      if (counts.conflicts > 0) process.exitCode = 1;
    } else {
      const report = await verifyCapability(options);
      process.stdout.write(
        parsed.values.json ? `${JSON.stringify(report, null, 2)}\n` : formatVerifyReport(report),
      );
      if (!report.equal || report.conflicts.length > 0) process.exitCode = 1;
      if (facadeUrl !== undefined) await recordVerifyInFacade(facadeUrl, report);
    }
  } finally {
    await service.close();
  }
} finally {
  await legacy.close();
}
