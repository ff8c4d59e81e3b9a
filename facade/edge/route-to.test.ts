import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createHttpApp } from '../../src/platform/http/create-app.ts';
import { createMetrics } from '../../src/platform/metrics.ts';
import { testAccessTokens } from '../../test/support/access-tokens.ts';
import { expectProblem } from '../../test/support/problem.ts';
import { routeOverride } from './route-to.ts';

const tokens = testAccessTokens();
const app = createHttpApp({
  logger: pino({ level: 'silent' }),
  metrics: createMetrics('route_to_test'),
  bodyLimitBytes: 10_000,
  authenticate: tokens.authenticate,
});
app.get('/api/payments/:id', (c) => c.json({ side: routeOverride(c) ?? null }));

const ask = async (value: string | undefined, token?: string) =>
  app.request('/api/payments/p-1', {
    headers: {
      ...(value !== undefined && { 'x-route-to': value }),
      ...(token !== undefined && { authorization: `Bearer ${token}` }),
    },
  });

describe('the x-route-to override', () => {
  it('is honoured for an admin', async () => {
    const admin = await tokens.tokenFor(['admin']);
    expect(await (await ask('new', admin)).json()).toEqual({ side: 'new' });
    expect(await (await ask('Legacy', admin)).json()).toEqual({ side: 'legacy' });
    expect(await (await ask(undefined, admin)).json()).toEqual({ side: null });
  });

  it('is ignored for a customer and for an anonymous caller, bad value or not', async () => {
    const customer = await tokens.tokenFor(['customer']);
    for (const value of ['new', 'legacy', 'sideways']) {
      const asCustomer = await ask(value, customer);
      expect(asCustomer.status).toBe(200);
      expect(await asCustomer.json()).toEqual({ side: null });
      expect(await (await ask(value)).json()).toEqual({ side: null });
    }
  });

  it("refuses an admin's bad value with 400", async () => {
    const admin = await tokens.tokenFor(['admin']);
    const problem = await expectProblem(await ask('both', admin), 400);
    expect(problem.errors).toEqual([
      { path: 'header.x-route-to', message: 'expected legacy or new' },
    ]);
  });
});
