import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { testAccessTokens } from '../../../test/support/access-tokens.ts';
import {
  type RecordingServer,
  startRecordingServer,
} from '../../../test/support/recording-server.ts';
import { createMetrics } from '../metrics.ts';
import { DeadlineExceeded } from '../resilience/infrastructure-error.ts';
import { createHttpApp } from './create-app.ts';
import { createServiceClient, type ServiceClient } from './service-client.ts';

// Every component's app honours the caller's budget, and passes what is left of it on.

const servers: RecordingServer[] = [];
const clients: ServiceClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function componentCalling(downstream: string) {
  const client = createServiceClient({ baseUrl: downstream, timeoutMs: 5_000 });
  clients.push(client);
  const app = createHttpApp({
    logger: pino({ level: 'silent' }),
    metrics: createMetrics('test'),
    bodyLimitBytes: 1_000,
    authenticate: testAccessTokens().authenticate,
    maxRequestBudgetMs: 2_000,
  });
  let worked = 0;
  app.get('/api/relay', async (c) => {
    worked++;
    const answer = await client.call({
      method: 'GET',
      path: '/downstream',
      deadlineAt: c.var.deadlineAt,
    });
    return c.json({ status: answer.status }, 200);
  });
  return { app, worked: () => worked };
}

async function downstream() {
  const server = await startRecordingServer((_, response) => {
    response.setHeader('content-type', 'application/json');
    response.end('{}');
  });
  servers.push(server);
  return server;
}

const budgetSeen = (server: RecordingServer) =>
  Number(server.seen[0]?.headers['x-request-budget-ms']);

describe("a component's request budget", () => {
  it('answers 504 problem+json at once for a budget of 0, doing no work', async () => {
    const { app, worked } = await componentCalling((await downstream()).url);
    const response = await app.request('/api/relay', { headers: { 'x-request-budget-ms': '0' } });
    expect(response.status).toBe(504);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toMatchObject({ status: 504, title: 'Gateway Timeout' });
    expect(worked()).toBe(0);
  });

  it('takes a negative budget as spent too', async () => {
    const { app } = await componentCalling((await downstream()).url);
    const response = await app.request('/api/relay', { headers: { 'x-request-budget-ms': '-3' } });
    expect(response.status).toBe(504);
  });

  it('passes a smaller budget on to the component it calls', async () => {
    const server = await downstream();
    const { app } = await componentCalling(server.url);
    const response = await app.request('/api/relay', {
      headers: { 'x-request-budget-ms': '800' },
    });
    expect(response.status).toBe(200);
    expect(budgetSeen(server)).toBeGreaterThan(0);
    expect(budgetSeen(server)).toBeLessThanOrEqual(800);
  });

  it("caps a caller's budget at the component's maximum", async () => {
    const server = await downstream();
    const { app } = await componentCalling(server.url);
    await app.request('/api/relay', { headers: { 'x-request-budget-ms': '999999' } });
    expect(budgetSeen(server)).toBeLessThanOrEqual(2_000);
  });

  it.each(['soon', '1.5', '', '12345678901'])('ignores a bad budget (%j)', async (value) => {
    const server = await downstream();
    const { app } = await componentCalling(server.url);
    const response = await app.request('/api/relay', { headers: { 'x-request-budget-ms': value } });
    expect(response.status).toBe(200);
    // No deadline of the request's own: the client's timeout is what travels on.
    expect(budgetSeen(server)).toBe(5_000);
  });
});

describe('a service call under a deadline', () => {
  it('sends nothing once the deadline has passed', async () => {
    const server = await downstream();
    const client = createServiceClient({ baseUrl: server.url, timeoutMs: 1_000 });
    clients.push(client);
    const error = await client
      .call({ method: 'GET', path: '/x', deadlineAt: performance.now() - 1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeadlineExceeded);
    expect(server.seen).toHaveLength(0);
  });
});
