import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { createInProcessUpstream } from './in-process-upstream.ts';
import { ClientGone, UpstreamTimeout } from './upstream-errors.ts';

// A Hono app served in this process, as legacy is in the single-process run.

function appSeeing(budgets: string[]) {
  const app = new Hono();
  app.post('/echo', async (c) => {
    budgets.push(c.req.header('x-request-budget-ms') ?? '');
    c.header('x-seen', c.req.header('x-mine') ?? '');
    return c.text(`${c.req.url} ${await c.req.text()}`, 201);
  });
  app.get('/busy', (c) => {
    budgets.push(c.req.header('x-request-budget-ms') ?? '');
    return c.text('busy', 503);
  });
  app.get('/never', () => new Promise<Response>(() => {}));
  return app;
}

const call = (method: string, path: string, deadlineMs = 1_000) => ({
  method,
  path,
  headers: { 'x-mine': 'yes' },
  deadlineAt: performance.now() + deadlineMs,
});

describe('an in-process upstream', () => {
  it("answers with the app's status, headers and body, the budget passed on", async () => {
    const budgets: string[] = [];
    const upstream = createInProcessUpstream({ name: 'monolith', fetch: appSeeing(budgets).fetch });
    const answer = await upstream.send({ ...call('POST', '/echo?x=1'), body: 'hello' });
    expect(answer.status).toBe(201);
    expect(answer.headers['x-seen']).toBe('yes');
    expect(Buffer.from(answer.body).toString()).toBe('http://monolith.internal/echo?x=1 hello');
    expect(Number(budgets[0])).toBeGreaterThan(900);
    expect(Number(budgets[0])).toBeLessThanOrEqual(1_000);
  });

  it("with asIs, answers with the app's own Response, unread", async () => {
    const upstream = createInProcessUpstream({ name: 'monolith', fetch: appSeeing([]).fetch });
    const answer = await upstream.send({ ...call('POST', '/echo'), body: 'as is', asIs: true });
    expect(answer.status).toBe(201);
    expect(answer.body.length).toBe(0);
    expect(answer.response?.bodyUsed).toBe(false);
    expect(answer.response?.headers.get('x-seen')).toBe('yes');
    expect(await answer.response?.text()).toBe('http://monolith.internal/echo as is');
  });

  it('retries a 503 under a schedule, the budget shrinking', async () => {
    const budgets: string[] = [];
    const upstream = createInProcessUpstream({ name: 'monolith', fetch: appSeeing(budgets).fetch });
    const answer = await upstream.send({
      ...call('GET', '/busy'),
      retry: { maxAttempts: 2, baseDelayMs: 40, maxDelayMs: 40 },
    });
    expect(answer).toMatchObject({ status: 503, attempts: 2 });
    expect(budgets.map(Number)[1]).toBeLessThanOrEqual(Number(budgets[0]));
  });

  it('gives up with UpstreamTimeout by the deadline', async () => {
    const upstream = createInProcessUpstream({ name: 'monolith', fetch: appSeeing([]).fetch });
    await expect(upstream.send(call('GET', '/never', 50))).rejects.toBeInstanceOf(UpstreamTimeout);
  });

  it('gives up with ClientGone when the client goes away', async () => {
    const upstream = createInProcessUpstream({ name: 'monolith', fetch: appSeeing([]).fetch });
    const client = new AbortController();
    const sent = upstream.send({ ...call('GET', '/never'), signal: client.signal });
    client.abort();
    await expect(sent).rejects.toBeInstanceOf(ClientGone);
  });

  it('always reports itself healthy and closed', () => {
    const upstream = createInProcessUpstream({ name: 'monolith', fetch: appSeeing([]).fetch });
    expect(upstream.state()).toMatchObject({ circuit: 'closed', active: 0, queued: 0 });
    expect(upstream.state().instances).toEqual([
      { url: 'http://monolith.internal', healthy: true, ejectedUntil: null },
    ]);
  });
});
