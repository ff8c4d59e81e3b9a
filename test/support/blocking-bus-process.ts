// A process whose subscriber takes its jobs and never finishes them, for a test to kill with
// SIGKILL while they are active. Arguments: database URL, Redis URL, key prefix, subscriber.
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { createEventBus } from '../../src/platform/bus/event-bus.ts';
import { subscribe } from '../../src/platform/bus/subscription.ts';
import { openDatabase } from '../../src/platform/db/database.ts';
import { thingHappened } from './probe.ts';

const [databaseUrl, redisUrl, prefix, subscriber] = process.argv.slice(2);
if (!databaseUrl || !redisUrl || !prefix || !subscriber) {
  throw new Error('usage: blocking-bus-process <database url> <redis url> <prefix> <subscriber>');
}
const database = await openDatabase({ url: databaseUrl, dataDir: '', name: 'blocking' });
const bus = createEventBus({
  db: database.db,
  logger: pino({ level: 'silent' }),
  redis: { client: new Redis(redisUrl, { maxRetriesPerRequest: null }), prefix },
  maxAttempts: 3,
  retryBaseMs: 20,
});
bus.subscribe(subscribe(subscriber, thingHappened, () => new Promise<void>(() => {})));
await bus.start();
process.stdout.write('ready\n');
