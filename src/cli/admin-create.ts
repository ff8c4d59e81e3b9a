import { adminAccountSchema, ensureAdmin } from '../modules/users/index.ts';
import { loadMonolithConfig, type MonolithConfig } from '../monolith-config.ts';
import { ConfigError } from '../platform/config/base-config.ts';
import { ProblemError } from '../platform/http/problem.ts';
import { withOfflineModuleContext } from './offline-context.ts';
import { ask, type Question } from './prompt.ts';

// `npm run admin:create`: creates the first admin account, the one way production gets one (it
// never gets demo accounts). Reads ADMIN_LOGIN, ADMIN_EMAIL and ADMIN_PASSWORD, and asks for
// what is missing when run on a terminal. Migrates first. Running it again for the same login
// changes nothing and says so; a non-admin account of that login is an error, never promoted.
// The bus is never started: user.registered waits in the outbox for the monolith to relay it.

/** These are read by this command only, so they stay out of the components' config. */
const variables = {
  ADMIN_LOGIN: { field: 'username', prompt: 'admin login: ' },
  ADMIN_EMAIL: { field: 'email', prompt: 'admin email: ' },
  ADMIN_PASSWORD: { field: 'password', prompt: 'admin password: ' },
} as const;
type Variable = keyof typeof variables;

class Refused extends Error {}

async function readAccount(env: NodeJS.ProcessEnv) {
  const given = new Map<Variable, string>();
  for (const name of Object.keys(variables) as Variable[]) {
    const value = name === 'ADMIN_PASSWORD' ? env[name] : env[name]?.trim();
    if (value) given.set(name, value);
  }
  const missing = (Object.keys(variables) as Variable[]).filter((name) => !given.has(name));
  if (missing.length > 0) {
    if (!process.stdin.isTTY) {
      throw new Refused(`Set ${missing.join(', ')}, or run this on a terminal to be asked.`);
    }
    const questions: Question[] = missing.map((name) => ({
      prompt: variables[name].prompt,
      secret: name === 'ADMIN_PASSWORD',
    }));
    if (missing.includes('ADMIN_PASSWORD')) {
      questions.push({ prompt: 'admin password again: ', secret: true });
    }
    const answers = await ask(questions);
    for (const [index, name] of missing.entries()) given.set(name, answers[index] ?? '');
    if (missing.includes('ADMIN_PASSWORD') && answers.at(-1) !== given.get('ADMIN_PASSWORD')) {
      throw new Refused('The two passwords differ; nothing was created.');
    }
  }
  const parsed = adminAccountSchema.safeParse(
    Object.fromEntries([...given].map(([name, value]) => [variables[name].field, value])),
  );
  if (!parsed.success) {
    const variableOf = (field: unknown) =>
      (Object.keys(variables) as Variable[]).find((name) => variables[name].field === field);
    const lines = parsed.error.issues.map(
      (issue) => `  ${variableOf(issue.path[0]) ?? issue.path.join('.')}: ${issue.message}`,
    );
    throw new Refused(`Not a valid admin account; nothing was created:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

async function createFirstAdmin(config: MonolithConfig): Promise<string> {
  // Checked before the database is touched, so a refused account leaves it as it was.
  const account = await readAccount(process.env);
  return withOfflineModuleContext(config, 'admin-create', async (context, database) => {
    try {
      const result = await ensureAdmin(context, account);
      const { username } = result.user;
      return result.outcome === 'created'
        ? `admin "${username}" created in ${database.location}`
        : `admin "${username}" already exists in ${database.location}; nothing changed (its email and password are as they were)`;
    } catch (error) {
      if (error instanceof ProblemError) throw new Refused(`${error.message} Nothing was created.`);
      throw error;
    }
  });
}

try {
  const message = await createFirstAdmin(loadMonolithConfig());
  process.stdout.write(`${message}\n`);
} catch (error) {
  if (!(error instanceof Refused || error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exitCode = 1;
}
