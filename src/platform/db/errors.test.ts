import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testAccessTokens } from '../../../test/support/access-tokens.ts';
import { startFaultProxy } from '../../../test/support/fault-proxy.ts';
import { openMigratedTestDatabase } from '../../../test/support/services.ts';
import { createHttpApp } from '../http/create-app.ts';
import { createMetrics } from '../metrics.ts';
import { type Database, openDatabase } from './database.ts';
import { isDataException, postgresErrorCode } from './errors.ts';

let db: Database;
let url: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  const test = await openMigratedTestDatabase('db_errors');
  db = test.handle.db;
  url = test.url;
  cleanup = test.cleanup;
  await db.execute(sql`create table notes (body text not null)`);
});
afterAll(() => cleanup());

const storeNote = (body: string) => db.execute(sql`insert into notes (body) values (${body})`);

describe('PostgreSQL data exceptions', () => {
  it('are recognised through the drivers and drizzle wrappers', async () => {
    const error = await storeNote('nul \u0000 inside').catch((e: unknown) => e);
    expect(postgresErrorCode(error)).toBe('22021');
    expect(isDataException(error)).toBe(true);
    const duplicate = { code: '23505' };
    expect(isDataException(duplicate)).toBe(false);
    expect(postgresErrorCode(new Error('plain'))).toBeUndefined();
  });

  it('answer 400, not 500, when user input causes them', async () => {
    const app = createHttpApp({
      logger: pino({ level: 'silent' }),
      metrics: createMetrics('test'),
      bodyLimitBytes: 10_000,
      authenticate: testAccessTokens().authenticate,
    });
    app.post('/notes', async (c) => {
      await storeNote(await c.req.text());
      return c.body(null, 204);
    });
    const res = await app.request('/notes', { method: 'POST', body: 'hello\u0000world' });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const rows = await db.execute(sql`select count(*)::int as n from notes`);
    expect(JSON.stringify(rows)).toContain('"n":0');
  });
});

describe('an unreachable database', () => {
  it('answers 503 problem+json with Retry-After, never a 500', async () => {
    const target = new URL(url);
    const proxy = await startFaultProxy({ host: target.hostname, port: Number(target.port) });
    const far = await openDatabase({
      url: proxy.via(url),
      dataDir: '',
      name: 'db_errors_far',
      timeouts: { statementMs: 300, connectMs: 300 },
    });
    const app = createHttpApp({
      logger: pino({ level: 'silent' }),
      metrics: createMetrics('test'),
      bodyLimitBytes: 10_000,
      authenticate: testAccessTokens().authenticate,
    });
    app.get('/notes', async (c) => c.json(await far.db.execute(sql`select count(*) from notes`)));
    app.get('/tx', async (c) =>
      c.json(await far.db.transaction((tx) => tx.execute(sql`select 1 as one`))),
    );
    try {
      expect((await app.request('/notes')).status).toBe(200);
      await proxy.cut();
      const down = await app.request('/notes');
      expect(down.status).toBe(503);
      expect(down.headers.get('content-type')).toBe('application/problem+json');
      expect(down.headers.get('retry-after')).toBe('5');
      expect(((await down.json()) as { title: string }).title).toBe('Service Unavailable');
      // Within a transaction, and while the link is partitioned rather than refused, too.
      await proxy.restore();
      proxy.blackhole();
      expect((await app.request('/tx')).status).toBe(503);
    } finally {
      await proxy.restore();
      await far.close();
      await proxy.close();
    }
  });
});
