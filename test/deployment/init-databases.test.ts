import { execFile } from 'node:child_process';
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_POSTGRES_URL } from '../support/services.ts';
import { environmentOf, operatorVariables } from './compose-file.ts';

// The compose PostgreSQL init script, run with psql on the machine's server as the postgres
// image runs it, with the postgres service's environment from docker-compose.yml: only the role
// and database names get a unique suffix, so the test leaves the shared server as it found it.

const SCRIPT = 'deploy/postgres/init-databases.sh';
const COMPONENTS = ['MONOLITH', 'USERS_SERVICE', 'PAYMENTS_SERVICE', 'FACADE'] as const;
const suffix = `_t${randomBytes(4).toString('hex')}`;
const server = new URL(TEST_POSTGRES_URL);
const admin = postgres(TEST_POSTGRES_URL, { max: 1, onnotice: () => {} });

/** The postgres service's environment, its names made unique, pointed at the test server. */
function scriptEnvironment(vars: Record<string, string>): Record<string, string | undefined> {
  const env = environmentOf('postgres', vars);
  for (const component of COMPONENTS) env[`${component}_DB`] += suffix;
  return {
    ...env,
    PATH: process.env.PATH,
    PGHOST: server.hostname,
    PGPORT: server.port || '5432',
    PGPASSWORD: decodeURIComponent(server.password),
    POSTGRES_USER: decodeURIComponent(server.username),
    POSTGRES_DB: server.pathname.slice(1) || 'postgres',
  };
}

const runScript = (env: Record<string, string | undefined>) =>
  promisify(execFile)('bash', [SCRIPT], { env });

/** Whether a SCRAM-SHA-256 verifier (pg_authid.rolpassword) was made from this password. */
function scramVerifies(verifier: string, password: string): boolean {
  const [, iterations, salt, storedKey, serverKey] =
    /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/.exec(verifier) ?? [];
  if (!iterations || !salt) return false;
  const salted = pbkdf2Sync(
    password,
    Buffer.from(salt, 'base64'),
    Number(iterations),
    32,
    'sha256',
  );
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  return (
    createHash('sha256').update(clientKey).digest('base64') === storedKey &&
    createHmac('sha256', salted).update('Server Key').digest('base64') === serverKey
  );
}

/** What exists on the server with this test's suffix. */
async function created() {
  const like = `%${suffix}`;
  const roles = await admin<{ rolname: string }[]>`
    select rolname from pg_roles where rolname like ${like} order by rolname`;
  const databases = await admin<{ datname: string; owner: string }[]>`
    select datname, pg_get_userbyid(datdba) as owner from pg_database
    where datname like ${like} order by datname`;
  return { roles: roles.map((r) => r.rolname), databases };
}

/** Connects as `role` to `database` and says who and where it is, or why it was refused. */
async function connectAs(role: string, database: string) {
  const url = new URL(TEST_POSTGRES_URL);
  url.username = role;
  url.password = '';
  url.pathname = `/${database}`;
  const client = postgres(url.toString(), { max: 1, onnotice: () => {} });
  try {
    const [row] = await client<{ user: string; database: string }[]>`
      select current_user as user, current_database() as database`;
    return row;
  } catch (error) {
    return { refused: (error as { code?: string }).code };
  } finally {
    await client.end();
  }
}

afterAll(async () => {
  const { roles, databases } = await created();
  for (const { datname } of databases) {
    await admin.unsafe(`drop database if exists "${datname}" with (force)`);
  }
  for (const role of roles) await admin.unsafe(`drop role if exists "${role}"`);
  await admin.end();
});

describe('deploy/postgres/init-databases.sh', () => {
  const vars = operatorVariables();
  const env = scriptEnvironment(vars);
  const names = COMPONENTS.map((component) => env[`${component}_DB`]!);

  it('refuses to run without a password, before it creates anything', async () => {
    const { MONOLITH_DB_PASSWORD: _, ...withoutOne } = env;
    await expect(runScript(withoutOne)).rejects.toMatchObject({
      stderr: expect.stringContaining('set MONOLITH_DB and MONOLITH_DB_PASSWORD'),
    });
    expect(await created()).toEqual({ roles: [], databases: [] });
  });

  describe('run once', () => {
    beforeAll(async () => {
      await runScript(env);
    });

    it("makes each component's login role and a database it owns, and nothing else", async () => {
      const { roles, databases } = await created();
      expect(roles).toEqual([...names].sort());
      expect(databases).toEqual([...names].sort().map((name) => ({ datname: name, owner: name })));
      const attributes = await admin<{ rolcanlogin: boolean; rolsuper: boolean }[]>`
      select rolcanlogin, rolsuper, rolcreatedb, rolcreaterole from pg_roles
      where rolname in ${admin(names)}`;
      expect(attributes).toEqual(
        names.map(() => ({
          rolcanlogin: true,
          rolsuper: false,
          rolcreatedb: false,
          rolcreaterole: false,
        })),
      );
    });

    it('sets each role the password exported for it, quotes and backslashes as data', async () => {
      for (const component of COMPONENTS) {
        const password = vars[`${component}_DB_PASSWORD`]!;
        expect(password).toMatch(/['"\\]/);
        const [row] = await admin<{ rolpassword: string }[]>`
        select rolpassword from pg_authid where rolname = ${env[`${component}_DB`]!}`;
        expect(scramVerifies(row!.rolpassword, password), component).toBe(true);
      }
    });

    it('lets each role connect to its own database only, and PUBLIC to none of them', async () => {
      const privileges = await admin<{ database: string; grantee: string; connect: boolean }[]>`
      select d.datname as database, g.grantee,
        has_database_privilege(g.grantee, d.datname, 'CONNECT') as connect
      from pg_database d, unnest(${names}::text[] || array['public']) as g(grantee)
      where d.datname in ${admin(names)}`;
      expect(privileges).toHaveLength(names.length * (names.length + 1));
      for (const { database, grantee, connect } of privileges) {
        expect(connect, `${grantee} on ${database}`).toBe(grantee === database);
      }
    });

    it('refuses a connection from one component to another component’s database', async () => {
      // The server trusts local TCP (no password asked), but CONNECT is still checked.
      for (const role of names) {
        for (const database of names) {
          const answer = await connectAs(role, database);
          expect(answer, `${role} → ${database}`).toEqual(
            role === database ? { user: role, database } : { refused: '42501' },
          );
        }
      }
    });

    it('can run again: it changes the passwords and nothing else', async () => {
      const again = operatorVariables();
      await runScript(scriptEnvironment(again));
      const { roles, databases } = await created();
      expect(roles).toEqual([...names].sort());
      expect(databases.map((d) => d.owner)).toEqual([...names].sort());
      const [row] = await admin<{ rolpassword: string }[]>`
      select rolpassword from pg_authid where rolname = ${names[0]!}`;
      expect(scramVerifies(row!.rolpassword, again.MONOLITH_DB_PASSWORD!)).toBe(true);
      expect(scramVerifies(row!.rolpassword, vars.MONOLITH_DB_PASSWORD!)).toBe(false);
    });
  });
});
