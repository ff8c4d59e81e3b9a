import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Environment,
  prepareEnvironment,
  type Running,
  runMonolith,
} from '../test/e2e/running-monolith.ts';
import { shop } from '../test/e2e/shop.ts';
import { type FacadeToggles, serveFacadeToggles } from '../test/support/facade-toggles.ts';
import { generatePrivateJwk, signingKeyOf } from './platform/auth/jwk.ts';

// The monolith started with FACADE_URL: its payment seam is the facade's toggle of
// payments.write.capture, shown at /admin/seams and moved only at the facade.

const route = 'payments.write.capture';
let environment: Environment;
let facade: FacadeToggles;
let running: Running;
let admin: string;

beforeAll(async () => {
  // The monolith's own service key, which the facade trusts for its internal API.
  const serviceKey = generatePrivateJwk();
  facade = await serveFacadeToggles('monolith_facade_seam', {
    monolith: { jwks: [signingKeyOf(serviceKey).publicJwk] },
  });
  environment = await prepareEnvironment('postgres+redis', 'monolith_facade_seam');
  running = await runMonolith(environment, {
    FACADE_URL: facade.url,
    SERVICE_SIGNING_KEY: JSON.stringify(serviceKey),
  });
  admin = await shop(running.api).adminToken();
});
afterAll(async () => {
  await running?.monolith.stop();
  await environment?.cleanup();
  await facade?.stop();
});

interface SeamList {
  items: Array<Record<string, unknown>>;
}

describe('the monolith with FACADE_URL set', () => {
  it("shows the facade's toggle of payment captures as its payment seam", async () => {
    const before = await running.api.get<SeamList>('/admin/seams', admin);
    expect(before.status).toBe(200);
    expect(before.body.items).toEqual([
      expect.objectContaining({
        seam: 'payment-gateway',
        adapter: 'in-process',
        split: null,
        follows: expect.objectContaining({ facade: facade.url, routeId: route, mode: 'monolith' }),
      }),
    ]);

    await facade.move(route, 'canary', 20);
    const after = await running.api.get<SeamList>('/admin/seams', admin);
    expect(after.body.items[0]).toMatchObject({
      adapter: 'in-process',
      split: { adapter: 'http', percentage: 20 },
      version: facade.store.current().version,
      follows: { mode: 'canary', percentage: 20 },
    });
  });

  it('refuses a switch at /admin/seams with a 409 saying where the seam is moved, changing nothing', async () => {
    await facade.move(route, 'extracted');
    const before = await running.api.get<SeamList>('/admin/seams', admin);
    const refused = await running.api.put(
      '/admin/seams/payment-gateway',
      { adapter: 'in-process', reason: 'roll back here' },
      admin,
    );
    expect(refused.status).toBe(409);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({
      type: 'https://commerce.example/errors/seam-set-at-facade',
      detail: expect.stringContaining(`PUT /_facade/api/routes/${route}`),
    });
    const after = await running.api.get<SeamList>('/admin/seams', admin);
    const { version } = facade.store.current();
    expect(before.body.items[0]).toMatchObject({ adapter: 'http', version });
    expect(after.body.items[0]).toMatchObject({
      adapter: 'http',
      version,
      follows: { mode: 'extracted' },
    });
  });
});
