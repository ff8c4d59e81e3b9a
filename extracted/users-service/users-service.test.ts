import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RulesetDefinition, Spectral } from '@stoplight/spectral-core';
import { oas } from '@stoplight/spectral-rulesets';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account, Session } from '../../src/contracts/users/v1/index.ts';
import {
  encodeForwardedUser,
  FORWARDED_USER_HEADER,
} from '../../src/platform/auth/forwarded-user.ts';
import { startComponent } from '../../src/platform/component/start-component.ts';
import { testServiceCaller } from '../../test/support/service-credentials.ts';
import {
  createUsersServiceComponent,
  DEMO_ACCOUNTS,
  loadUsersServiceConfig,
  type UsersService,
} from './index.ts';

let dataDir: string;
let service: UsersService;
// The facade, say: the component allowed to call it.
const caller = testServiceCaller('facade');

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'users-service-'));
  const config = loadUsersServiceConfig({
    DATA_DIR: dataDir,
    USERS_SERVICE_PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
  });
  service = await startComponent(
    createUsersServiceComponent({ trustedCallers: caller.trustedCallers }),
    config,
    pino({ level: 'silent' }),
  );
});
afterAll(async () => {
  await service?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

/** A call as the trusted caller makes it, with its service token. */
const call = async (path: string, init: RequestInit = {}) =>
  fetch(`${service.url}${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${await caller.tokens.tokenFor('users-service')}`,
      ...(init.headers as Record<string, string>),
    },
  });
const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  call(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

describe('users-service started with startComponent on PGlite', () => {
  it('keeps its embedded database in DATA_DIR/users-service and is ready', async () => {
    expect(existsSync(join(dataDir, 'users-service'))).toBe(true);
    const ready = await call('/health/ready');
    expect(ready.status).toBe(200);
    expect((await call('/health/live')).status).toBe(200);
    const metrics = await call('/metrics');
    expect([metrics.status, (await metrics.text()).includes('users-service')]).toEqual([200, true]);
  });

  it('serves its OpenAPI document and docs page', async () => {
    const document = (await (await call('/openapi.json')).json()) as {
      info: { title: string };
      paths: Record<string, Record<string, { operationId: string }>>;
    };
    const operations = Object.values(document.paths)
      .flatMap((methods) => Object.values(methods).map((operation) => operation.operationId))
      .filter((id) => /Account|Session/.test(id))
      .sort();
    expect([document.info.title, operations]).toEqual([
      'users-service',
      ['createAccount', 'createSession', 'getAccount', 'updateAccount'],
    ]);
    // Linted as a client generator or a gateway would read it (Spectral's recommended rules).
    const spectral = new Spectral();
    spectral.setRuleset({ extends: [oas as RulesetDefinition] });
    const errors = (await spectral.run(JSON.stringify(document)))
      .filter((result) => result.severity === 0)
      .map((result) => `${result.code} at ${result.path.join('.')}: ${result.message}`);
    expect(errors).toEqual([]);
    const docs = await call('/docs');
    expect([docs.status, docs.headers.get('content-type')]).toEqual([
      200,
      'text/html; charset=UTF-8',
    ]);
  });

  it('has the demo accounts, and signs up, signs in and reads over HTTP', async () => {
    const [admin] = DEMO_ACCOUNTS;
    const adminSession = await post('/v1/sessions', {
      login: admin.login_name,
      password: admin.password,
    });
    expect(adminSession.status).toBe(201);
    expect(((await adminSession.json()) as Session).account.roles).toEqual(['admin']);

    const created = await post(
      '/v1/accounts',
      { login_name: 'http_user', email_address: 'http@example.com', password: 'http-password' },
      { 'idempotency-key': 'http-1' },
    );
    expect(created.status).toBe(201);
    const account = (await created.json()) as Account;
    const session = (await (
      await post('/v1/sessions', { login: 'http_user', password: 'http-password' })
    ).json()) as Session;
    // The caller forwards the signed-in user it verified.
    const read = await call(`/v1/accounts/${account.id}`, {
      headers: {
        [FORWARDED_USER_HEADER]: encodeForwardedUser({ id: account.id, roles: account.roles }),
      },
    });
    expect(session.account.id).toBe(account.id);
    expect([read.status, await read.json()]).toEqual([200, account]);
  });
});

describe('npm run start:users', () => {
  it('logs with component users-service, and stops cleanly on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'users-service-main-'));
    const child = spawn(process.execPath, ['extracted/users-service/main.ts'], {
      env: {
        ...process.env,
        DATA_DIR: dir,
        USERS_SERVICE_PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let stdout = '';
      child.stdout.on('data', (chunk) => {
        stdout += chunk;
      });
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      const readyLine = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', () => {
          const line = stdout.split('\n').find((text) => text.includes('"msg":"ready"'));
          if (line) resolve(line);
        });
        child.on('close', (code) => reject(new Error(`exited ${code} before ready: ${stdout}`)));
      });
      const { url, component } = JSON.parse(readyLine) as { url: string; component: string };
      expect((await fetch(`${url}/health/ready`)).status).toBe(200);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      const components = new Set(
        stdout
          .split('\n')
          .filter(Boolean)
          .map((line) => (JSON.parse(line) as { component?: string }).component),
      );
      expect([component, [...components]]).toEqual(['users-service', ['users-service']]);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });
});
