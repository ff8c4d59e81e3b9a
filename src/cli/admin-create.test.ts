import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { apiClient } from '../../test/e2e/client.ts';
import { signingKeyEnv } from '../../test/support/access-tokens.ts';
import { createTestDatabase } from '../../test/support/services.ts';
import { startMonolith } from '../monolith.ts';
import { loadMonolithConfig } from '../monolith-config.ts';

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `npm run admin:create` as its own process, with only the given environment. */
function adminCreate(env: Record<string, string>): Promise<Run> {
  const child = spawn(process.execPath, ['src/cli/admin-create.ts'], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

const root = {
  ADMIN_LOGIN: 'Root',
  ADMIN_EMAIL: 'root@example.com',
  ADMIN_PASSWORD: 'a-long-admin-password',
};

async function freshPostgres() {
  const database = await createTestDatabase('admin_create');
  const client = postgres(database.url, { max: 1, onnotice: () => {} });
  cleanups.push(async () => {
    await client.end();
    await database.drop();
  });
  return { url: database.url, client };
}

async function monolithOn(env: Record<string, string>) {
  const config = loadMonolithConfig({
    MONOLITH_PORT: '0',
    HOST: '127.0.0.1',
    ...signingKeyEnv(),
    ...env,
  });
  const monolith = await startMonolith(config, pino({ level: 'silent' }));
  cleanups.push(monolith.stop);
  return { monolith, api: apiClient(monolith.url) };
}

describe('npm run admin:create', () => {
  it('on a fresh PostgreSQL database: migrates, creates one admin, and a second run changes nothing', async () => {
    const { url, client } = await freshPostgres();
    const first = await adminCreate({ DATABASE_URL: url, ...root });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^admin "root" created in /);

    const again = await adminCreate({
      DATABASE_URL: url,
      ...root,
      ADMIN_EMAIL: 'someone.else@example.com',
      ADMIN_PASSWORD: 'another-long-password',
    });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^admin "root" already exists in .*; nothing changed/);

    const rows = await client`select username, email, roles from users.accounts`;
    expect(rows.map((row) => ({ ...row }))).toEqual([
      { username: 'root', email: 'root@example.com', roles: ['admin'] },
    ]);
    const registered = await client`select count(*)::int as n from platform.outbox
      where name = 'user.registered'`;
    expect(registered[0]?.n).toBe(1);

    // The monolith on that database: the first password signs in, with the admin role.
    const { api } = await monolithOn({ DATABASE_URL: url });
    const login = await api.post<{ accessToken: string; user: { roles: string[] } }>(
      '/api/auth/login',
      { login: 'root', password: root.ADMIN_PASSWORD },
    );
    expect(login.status).toBe(200);
    expect(login.body.user.roles).toEqual(['admin']);
    expect((await api.get('/api/admin/dashboard', login.body.accessToken)).status).toBe(200);
    const secondPassword = await api.post('/api/auth/login', {
      login: 'root',
      password: 'another-long-password',
    });
    expect(secondPassword.status).toBe(401);
  });

  it('refuses a weak password, a bad login or email, and missing variables, before touching the database', async () => {
    const { url, client } = await freshPostgres();
    const weak = await adminCreate({ DATABASE_URL: url, ...root, ADMIN_PASSWORD: 'short' });
    expect(weak.code).toBe(1);
    expect(weak.stderr).toMatch(/ADMIN_PASSWORD: .*8/);

    const bad = await adminCreate({
      DATABASE_URL: url,
      ...root,
      ADMIN_LOGIN: 'a b',
      ADMIN_EMAIL: 'not-an-email',
    });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('ADMIN_LOGIN:');
    expect(bad.stderr).toContain('ADMIN_EMAIL:');

    // Off a terminal there is nobody to ask.
    const missing = await adminCreate({ DATABASE_URL: url, ADMIN_LOGIN: 'root' });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Set ADMIN_EMAIL, ADMIN_PASSWORD');

    const [schema] = await client`select to_regnamespace('users')::text as name`;
    expect(schema?.name).toBeNull();
  });

  it('does not promote an existing customer of that login, nor take a used email', async () => {
    const { url, client } = await freshPostgres();
    const { api } = await monolithOn({ DATABASE_URL: url });
    const signUp = await api.post('/api/users', {
      username: 'ann',
      email: 'ann@example.com',
      password: 'ann-password-1',
    });
    expect(signUp.status).toBe(201);

    const promote = await adminCreate({ DATABASE_URL: url, ...root, ADMIN_LOGIN: 'ann' });
    expect(promote.code).toBe(1);
    expect(promote.stderr).toContain('"ann" exists and is not an admin');

    const takenEmail = await adminCreate({
      DATABASE_URL: url,
      ...root,
      ADMIN_EMAIL: 'ann@example.com',
    });
    expect(takenEmail.code).toBe(1);
    expect(takenEmail.stderr).toContain('email is already taken');

    const rows = await client`select username, roles from users.accounts`;
    expect(rows.map((row) => ({ ...row }))).toEqual([{ username: 'ann', roles: ['customer'] }]);
  });

  it('on a PGlite data directory: creates the admin once, and the monolith signs it in', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'admin-create-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const first = await adminCreate({ DATA_DIR: dataDir, ...root });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`created in ${join(dataDir, 'monolith')}`);
    const again = await adminCreate({ DATA_DIR: dataDir, ...root });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already exists');

    const { api } = await monolithOn({ DATA_DIR: dataDir, SEED_DEMO_DATA: 'false' });
    const token = await api.login('root', root.ADMIN_PASSWORD);
    const dashboard = await api.get<{ data: { users: { users: number } } }>(
      '/api/admin/dashboard',
      token,
    );
    expect(dashboard.status).toBe(200);
    expect(dashboard.body.data.users).toEqual({ users: 1 });
  }, 90_000);

  // script(1) is util-linux's, on every Debian (package bsdutils, essential).
  it('on a terminal, asks for what is missing and does not echo the password', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'admin-create-tty-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    // script(1) gives the command a pseudo-terminal, as a person at a shell would.
    const child = spawn(
      'script',
      ['-qec', `${process.execPath} src/cli/admin-create.ts`, '/dev/null'],
      {
        env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', DATA_DIR: dataDir },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    const answers = [
      { prompt: 'admin login: ', answer: 'tty-admin' },
      { prompt: 'admin email: ', answer: 'tty@example.com' },
      { prompt: 'admin password: ', answer: 'typed-secret-1' },
      { prompt: 'admin password again: ', answer: 'typed-secret-1' },
    ];
    let output = '';
    let answered = 0;
    let searchFrom = 0;
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const next = answers[answered];
      const at = next ? output.indexOf(next.prompt, searchFrom) : -1;
      if (!next || at === -1) return;
      searchFrom = at + next.prompt.length;
      answered += 1;
      child.stdin.write(`${next.answer}\r`);
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(answered).toBe(4);
    expect(output).toContain('admin "tty-admin" created');
    expect(output).toContain('tty@example.com');
    expect(output).not.toContain('typed-secret-1');
    expect(await readdir(dataDir)).toContain('monolith');
  }, 90_000);
});
