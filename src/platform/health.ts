import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from './http/app-env.ts';
import type { Metrics } from './metrics.ts';
import { withDeadline } from './resilience/deadline.ts';

/** A dependency the component needs to serve traffic; throws (or rejects) when it is not usable. */
export type ReadinessCheck = () => Promise<void>;

export interface Health {
  checks: Record<string, ReadinessCheck>;
  /** Set once start-up (migrations, seeding, subscriptions) has finished. */
  started: boolean;
  /** Set when shutdown begins, so load balancers stop sending traffic before the drain. */
  stopping: boolean;
}

const CHECK_TIMEOUT_MS = 2_000;

async function runCheck(name: string, check: ReadinessCheck): Promise<string | undefined> {
  try {
    await withDeadline(check(), CHECK_TIMEOUT_MS, `the ${name} check`);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** `/health/live`, `/health/ready`, `/health/startup` and `/metrics`, the same on every component. */
export function mountOperations(app: OpenAPIHono<AppEnv>, health: Health, metrics: Metrics): void {
  app.get('/health/live', (c) => c.json({ status: 'ok' }));
  app.get('/health/startup', (c) =>
    health.started ? c.json({ status: 'ok' }) : c.json({ status: 'starting' }, 503),
  );
  app.get('/health/ready', async (c) => {
    const names = Object.keys(health.checks);
    const results = await Promise.all(names.map((name) => runCheck(name, health.checks[name]!)));
    const checks = Object.fromEntries(
      names.map((name, i) => [
        name,
        results[i] ? { status: 'down', error: results[i] } : { status: 'up' },
      ]),
    );
    const failed = names.filter((_, i) => results[i] !== undefined);
    if (health.stopping) failed.push('shutdown');
    const ready = health.started && failed.length === 0;
    return c.json({ status: ready ? 'ready' : 'unavailable', failed, checks }, ready ? 200 : 503);
  });
  app.get('/metrics', async (c) =>
    c.body(await metrics.registry.metrics(), 200, { 'Content-Type': metrics.registry.contentType }),
  );
}
