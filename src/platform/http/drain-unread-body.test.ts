import http from 'node:http';
import net from 'node:net';
import { createRoute, z } from '@hono/zod-openapi';
import { Hono } from 'hono';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testAccessTokens } from '../../../test/support/access-tokens.ts';
import { serveApp } from '../../../test/support/serve-app.ts';
import { requireRole } from '../auth/authenticate.ts';
import { createMetrics } from '../metrics.ts';
import type { AppEnv } from './app-env.ts';
import { createHttpApp } from './create-app.ts';
import { drainUnreadBody } from './drain-unread-body.ts';
import { createRouter } from './router.ts';
import type { RunningServer } from './serve.ts';

// A request refused before its body is read (bad token, wrong role, unknown path) must leave
// the keep-alive connection usable: the client's next request on it gets its answer.

const tokens = testAccessTokens();
const LIMIT = 1_048_576;
let server: RunningServer;
let customerToken: string;

beforeAll(async () => {
  const app = createHttpApp({
    logger: pino({ level: 'silent' }),
    metrics: createMetrics('test'),
    bodyLimitBytes: LIMIT,
    authenticate: tokens.authenticate,
  });
  const things = createRouter();
  things.openapi(
    createRoute({
      method: 'post',
      path: '/things',
      middleware: [requireRole('admin')] as const,
      request: {
        body: { content: { 'application/json': { schema: z.object({ a: z.string() }) } } },
      },
      responses: { 201: { description: 'created' } },
    }),
    (c) => c.json({ ok: true }, 201),
  );
  things.get('/ping', (c) => c.text('pong'));
  app.route('/api', things);
  server = await serveApp(app);
  customerToken = await tokens.tokenFor(['customer']);
});
afterAll(async () => {
  await server?.close();
});

interface Answer {
  status: number;
  connection: string | undefined;
  /** Whether the request went out on a socket an earlier request had used. */
  reusedSocket: boolean;
}

function send(
  base: string,
  agent: http.Agent,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${base}${path}`, { method, agent, headers }, (response) => {
      response.resume();
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          connection: response.headers.connection,
          reusedSocket: request.reusedSocket,
        }),
      );
    });
    request.setTimeout(5_000, () => request.destroy(new Error('no answer within 5 s')));
    // A write after the server answered and closed is the client's EPIPE, not a lost answer.
    request.on('error', reject);
    request.end(body);
  });
}

const largeBody = (bytes: number) => JSON.stringify({ a: 'x'.repeat(bytes) });

describe('a large body refused before it is read', () => {
  it.each([
    ['401 (forged token)', '/api/things', { authorization: 'Bearer forged' }, 401],
    ['403 (customer on an admin route)', '/api/things', 'customer', 403],
    ['404 (unknown path)', '/api/nowhere', {}, 404],
  ] as const)(
    '%s keeps the connection: the next request on it gets its answer',
    async (_, path, who, status) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const headers = {
          'content-type': 'application/json',
          ...(who === 'customer' ? { authorization: `Bearer ${customerToken}` } : who),
        };
        const refused = await send(server.url, agent, 'POST', path, headers, largeBody(400_000));
        expect(refused).toEqual({ status, connection: 'keep-alive', reusedSocket: false });
        const ping = () => send(server.url, agent, 'GET', '/api/ping');
        const reused = { status: 200, connection: 'keep-alive', reusedSocket: true };
        expect(await ping()).toEqual(reused);
        // And past node-server's 500 ms drain, after which it would have destroyed the socket.
        await new Promise((resolve) => setTimeout(resolve, 700));
        expect(await ping()).toEqual(reused);
      } finally {
        agent.destroy();
      }
    },
  );

  it('413 (over the limit) says Connection: close, and the next request gets a new connection', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const refused = await send(
        server.url,
        agent,
        'POST',
        '/api/things',
        { 'content-type': 'application/json' },
        largeBody(LIMIT * 2),
      );
      expect(refused).toEqual({ status: 413, connection: 'close', reusedSocket: false });
      const next = await send(server.url, agent, 'GET', '/api/ping');
      expect(next).toEqual({ status: 200, connection: 'keep-alive', reusedSocket: false });
    } finally {
      agent.destroy();
    }
  });
});

describe('drainUnreadBody', () => {
  it('answers Connection: close when the unread body does not arrive within its deadline', async () => {
    const app = new Hono<AppEnv>()
      .use(drainUnreadBody(200))
      .post('/refuse', (c) => c.text('no', 401));
    const slow = await serveApp(app);
    const socket = net.connect(slow.port, '127.0.0.1');
    try {
      const received = new Promise<string>((resolve) => {
        let text = '';
        socket.on('data', (chunk) => {
          text += chunk;
        });
        socket.on('close', () => resolve(text));
      });
      // Announces 100 kB, sends 10: the rest never comes.
      socket.write(
        `POST /refuse HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n${'x'.repeat(10_000)}`,
      );
      const text = await received;
      expect(text).toMatch(/^HTTP\/1\.1 401 /);
      expect(text.toLowerCase()).toContain('connection: close');
    } finally {
      socket.destroy();
      await slow.close();
    }
  });
});
