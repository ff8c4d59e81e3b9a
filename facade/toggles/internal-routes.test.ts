import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FacadeToggles, serveFacadeToggles } from '../../test/support/facade-toggles.ts';
import { testServiceCaller } from '../../test/support/service-credentials.ts';

let facade: FacadeToggles;
beforeAll(async () => {
  facade = await serveFacadeToggles('toggle_internal');
});
afterAll(async () => {
  await facade.stop();
});

const read = (routeId: string, authorization: string | undefined) =>
  fetch(`${facade.url}/_facade/internal/toggles/${routeId}`, {
    headers: authorization === undefined ? {} : { authorization },
  });

describe("the facade's internal toggle API", () => {
  it("answers a route's toggle to a trusted caller, from the snapshot the replica applies", async () => {
    const { valid } = await facade.caller.authorizations('facade');
    const before = await read('payments.write.capture', valid);
    expect(before.status).toBe(200);
    expect(await before.json()).toEqual({
      routeId: 'payments.write.capture',
      mode: 'monolith',
      percentage: 0,
      version: 0,
    });

    await facade.move('payments.write.capture', 'canary', 30);
    const after = await read('payments.write.capture', valid);
    expect(await after.json()).toEqual({
      routeId: 'payments.write.capture',
      mode: 'canary',
      percentage: 30,
      version: facade.store.current().version,
    });
    expect(facade.store.current().version).toBeGreaterThan(0);
  });

  it('refuses every call without a valid service token for the facade, saying why', async () => {
    const tokens = await facade.caller.authorizations('facade');
    const statuses = {
      missing: (await read('payments.write.capture', tokens.missing)).status,
      forged: (await read('payments.write.capture', tokens.forged)).status,
      expired: (await read('payments.write.capture', tokens.expired)).status,
      untrusted: (await read('payments.write.capture', tokens.untrusted)).status,
      userToken: (await read('payments.write.capture', tokens.userToken)).status,
      wrongAudience: (await read('payments.write.capture', tokens.wrongAudience)).status,
    };
    expect(statuses).toEqual({
      missing: 401,
      forged: 401,
      expired: 401,
      untrusted: 401,
      userToken: 401,
      wrongAudience: 403,
    });
    // A component the facade does not know, however well it signs.
    const stranger = await testServiceCaller('shipping').authorizations('facade');
    const refused = await read('payments.write.capture', stranger.valid);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('answers a malformed route id with a 400 problem, not a toggle', async () => {
    const { valid } = await facade.caller.authorizations('facade');
    const answer = await read('not%20a%20route', valid);
    expect(answer.status).toBe(400);
    expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });
});
