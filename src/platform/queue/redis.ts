import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { settlesWithin } from '../resilience/deadline.ts';

/**
 * One connection for queues and workers. BullMQ workers block on Redis, so commands must
 * never give up (`maxRetriesPerRequest: null`); evicting queue keys would lose jobs, so a
 * policy other than `noeviction` is reported.
 */
export async function connectRedis(url: string, logger: Logger): Promise<Redis> {
  // Loaded here, not above: a process without Redis never needs ioredis (~0.05 s to load).
  const { Redis: RedisClient } = await import('ioredis');
  const client = new RedisClient(url, { maxRetriesPerRequest: null, lazyConnect: true });
  client.on('error', (error) => logger.warn({ err: error }, 'redis connection error'));
  try {
    await client.connect();
  } catch (error) {
    // ioredis would go on reconnecting in the background for a client nobody holds.
    client.disconnect();
    throw error;
  }
  const policy = (await client.config('GET', 'maxmemory-policy').catch(() => [])) as string[];
  if (policy[1] && policy[1] !== 'noeviction') {
    logger.warn({ policy: policy[1] }, 'redis maxmemory-policy should be noeviction for queues');
  }
  return client;
}

/**
 * QUIT, or a plain disconnect if Redis does not answer within `ms`: with Redis gone, QUIT waits
 * in ioredis's offline queue for a reconnect that may never come.
 */
export async function closeRedis(client: Redis, ms: number): Promise<void> {
  if (!(await settlesWithin(client.quit(), ms))) client.disconnect();
}
