import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ModuleHarness, openModuleHarness } from '../../../test/support/module-harness.ts';
import { seamAdminRoutes } from './admin-routes.ts';
import { createSeam } from './seam.ts';

let h: ModuleHarness;
beforeAll(async () => {
  h = await openModuleHarness('seam_admin');
  const seam = createSeam({
    db: h.db,
    name: 'payment-gateway',
    adapters: ['in-process', 'http'] as const,
    initial: 'in-process',
  });
  h.app.route('/admin/seams', seamAdminRoutes([seam]));
});
afterAll(async () => {
  await h.cleanup();
});

describe('the seams admin API', () => {
  it('is for admins only', async () => {
    expect((await h.send('GET', '/admin/seams')).status).toBe(401);
    const customer = await h.tokenFor(['customer']);
    expect((await h.send('GET', '/admin/seams', { token: customer })).status).toBe(403);
    const change = { adapter: 'http', reason: 'try' };
    expect(
      (await h.send('PUT', '/admin/seams/payment-gateway', { token: customer, body: change }))
        .status,
    ).toBe(403);
  });

  it('switches a seam, saying who, why and which version', async () => {
    const admin = await h.tokenFor(['admin']);
    const before = await h.send('GET', '/admin/seams', { token: admin });
    expect(await before.json()).toMatchObject({
      items: [
        {
          seam: 'payment-gateway',
          adapter: 'in-process',
          version: 0,
          adapters: ['in-process', 'http'],
        },
      ],
    });
    const changed = await h.send('PUT', '/admin/seams/payment-gateway', {
      token: admin,
      body: { adapter: 'http', reason: 'parity 100% over 1,000 samples' },
    });
    expect(changed.status).toBe(200);
    expect(await changed.json()).toMatchObject({
      adapter: 'http',
      version: 1,
      reason: 'parity 100% over 1,000 samples',
    });
  });

  it('refuses an unknown adapter, an unknown seam and a change without a reason, changing nothing', async () => {
    const admin = await h.tokenFor(['admin']);
    const state = async () =>
      (await (await h.send('GET', '/admin/seams', { token: admin })).json()) as unknown;
    const before = await state();
    const put = (seam: string, body: unknown) =>
      h.send('PUT', `/admin/seams/${seam}`, { token: admin, body });
    expect((await put('payment-gateway', { adapter: 'carrier-pigeon', reason: 'x' })).status).toBe(
      400,
    );
    expect((await put('payment-gateway', { adapter: 'http' })).status).toBe(400);
    expect((await put('payment-gateway', { adapter: 'http', reason: '  ' })).status).toBe(400);
    expect((await put('no-such-seam', { adapter: 'http', reason: 'x' })).status).toBe(404);
    expect(await state()).toEqual(before);
  });
});
