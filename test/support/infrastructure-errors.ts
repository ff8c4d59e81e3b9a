import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { startFaultProxy } from './fault-proxy.ts';
import { TEST_POSTGRES_URL } from './services.ts';

/**
 * The error a module's query really gets while PostgreSQL is unreachable: drizzle over
 * postgres.js, through a fault proxy that is cut (ECONNREFUSED). Fakes throw it to stand in
 * for an outage of our own database without cutting the database the test itself runs on.
 */
export async function refusedDatabaseConnection(): Promise<Error> {
  const target = new URL(TEST_POSTGRES_URL);
  const proxy = await startFaultProxy({ host: target.hostname, port: Number(target.port || 5432) });
  const client = postgres(proxy.via(TEST_POSTGRES_URL), { max: 1, onnotice: () => {} });
  try {
    await proxy.cut();
    await drizzle({ client }).execute(sql`select 1`);
  } catch (error) {
    if (error instanceof Error) return error;
    throw error;
  } finally {
    await client.end({ timeout: 1 });
    await proxy.close();
  }
  throw new Error('the query succeeded through a cut proxy');
}
