import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { DatabaseActivity } from './db/postgres-client.ts';

export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
}

/** One registry per component, so several components can share a process and still report apart. */
export function createMetrics(component: string): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ component });
  collectDefaultMetrics({ register: registry });
  const labelNames = ['method', 'route', 'status'] as const;
  return {
    registry,
    httpRequests: new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests by route template and status',
      labelNames,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency by route template and status',
      labelNames,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  };
}

/** The database's statements and transactions so far, read when scraped (PostgreSQL only). */
export function countDatabaseActivity(metrics: Metrics, activity: DatabaseActivity): void {
  const counted = (name: string, help: string, read: () => number) =>
    new Counter({
      name,
      help,
      registers: [metrics.registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  counted(
    'db_statements_total',
    'Statements sent to the database, besides the BEGIN and COMMIT of transactions',
    () => activity.statements,
  );
  counted('db_transactions_total', 'Transactions begun', () => activity.transactions);
}
