import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_CONSUMERS } from '../../src/contracts/event-consumers.ts';
import { createTestRedis, eventually, type TestRedis } from '../support/services.ts';
import {
  captureRequest,
  type PaymentsServiceHarness,
  startPaymentsServiceOnPostgres,
} from './payments-service/harness.ts';

// A service started on its own (as `npm run start:payments` or its container does) over Redis:
// its events must still reach the other components' subscribers, which run elsewhere. Who they
// are comes from the deployment's list (src/contracts/event-consumers.ts), not from Redis.

let redis: TestRedis;
let reader: Redis;
let service: PaymentsServiceHarness;
beforeAll(async () => {
  redis = createTestRedis('runs_alone');
  reader = new Redis(redis.url);
  service = await startPaymentsServiceOnPostgres(
    'runs_alone',
    {},
    { REDIS_URL: redis.url, REDIS_PREFIX: redis.prefix },
  );
});
afterAll(async () => {
  await service.stop();
  reader.disconnect();
  await redis.cleanup();
});

const waiting = (subscriber: string) =>
  reader.llen(`${redis.prefix}:bull:events.${subscriber}:wait`);

describe('payments-service alone, over BullMQ', () => {
  it("queues its events for the monolith's subscribers, which are not in this process", async () => {
    const [replica] = EVENT_CONSUMERS.monolith['payment.changed'];
    const [notify] = EVENT_CONSUMERS.monolith['payment.failed'];
    const declined = await service.send('POST', '/v1/payments', {
      body: captureRequest({ source: { type: 'card', token: 'tok_decline' } }),
    });
    expect(declined.status).toBe(201);
    await eventually(async () => {
      expect([await waiting(replica), await waiting(notify)]).toEqual([1, 1]);
    });
  });
});
