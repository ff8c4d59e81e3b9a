import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from './http/app-env.ts';
import { jsonDoc } from './http/route-docs.ts';
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

const tags = ['operations'];

const liveSchema = z.object({ status: z.literal('ok') }).openapi('Liveness');
const startupSchema = z.object({ status: z.enum(['ok', 'starting']) }).openapi('StartupStatus');
const readinessSchema = z
  .object({
    status: z.enum(['ready', 'unavailable']),
    /** The checks that failed, and `shutdown` once the component is stopping. */
    failed: z.array(z.string()),
    checks: z.record(
      z.string(),
      z.object({ status: z.enum(['up', 'down']), error: z.string().optional() }),
    ),
  })
  .openapi('Readiness');

const liveRoute = createRoute({
  method: 'get',
  path: '/health/live',
  operationId: 'getLiveness',
  tags,
  summary: 'The process is running (no dependency is checked)',
  responses: { 200: jsonDoc(liveSchema, 'Alive') },
});

const startupRoute = createRoute({
  method: 'get',
  path: '/health/startup',
  operationId: 'getStartup',
  tags,
  summary: 'Start-up (migrations, seeding, subscriptions) has finished',
  responses: {
    200: jsonDoc(startupSchema, 'Started'),
    503: jsonDoc(startupSchema, 'Still starting'),
  },
});

const readyRoute = createRoute({
  method: 'get',
  path: '/health/ready',
  operationId: 'getReadiness',
  tags,
  summary: 'Every dependency answers and events move; not while starting or stopping',
  responses: {
    200: jsonDoc(readinessSchema, 'Ready'),
    503: jsonDoc(readinessSchema, 'Not ready: `failed` names why'),
  },
});

const metricsRoute = createRoute({
  method: 'get',
  path: '/metrics',
  operationId: 'getMetrics',
  tags,
  summary: 'Prometheus metrics of this component',
  responses: {
    200: {
      description: 'Prometheus text exposition format',
      content: { 'text/plain': { schema: z.string() } },
    },
  },
});

/** `/health/live`, `/health/ready`, `/health/startup` and `/metrics`, the same on every component. */
export function mountOperations(app: OpenAPIHono<AppEnv>, health: Health, metrics: Metrics): void {
  app.openapi(liveRoute, (c) => c.json({ status: 'ok' as const }, 200));
  app.openapi(startupRoute, (c) =>
    health.started
      ? c.json({ status: 'ok' as const }, 200)
      : c.json({ status: 'starting' as const }, 503),
  );
  app.openapi(readyRoute, async (c) => {
    const names = Object.keys(health.checks);
    const results = await Promise.all(names.map((name) => runCheck(name, health.checks[name]!)));
    const checks = Object.fromEntries(
      names.map((name, i) => [
        name,
        results[i] ? { status: 'down' as const, error: results[i] } : { status: 'up' as const },
      ]),
    );
    const failed = names.filter((_, i) => results[i] !== undefined);
    if (health.stopping) failed.push('shutdown');
    const ready = health.started && failed.length === 0;
    return ready
      ? c.json({ status: 'ready' as const, failed, checks }, 200)
      : c.json({ status: 'unavailable' as const, failed, checks }, 503);
  });
  app.openapi(metricsRoute, async (c) =>
    c.text(await metrics.registry.metrics(), 200, { 'Content-Type': metrics.registry.contentType }),
  );
}
