import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from './app-env.ts';
import { jsonDoc } from './route-docs.ts';

const serviceIndexSchema = z
  .object({
    name: z.string(),
    description: z.string(),
    /** Paths relative to this component, so they hold behind a proxy too. */
    links: z.record(z.string(), z.string()).openapi({
      example: { docs: '/docs', openapi: '/openapi.json', ready: '/health/ready' },
    }),
  })
  .openapi('ServiceIndex');
export type ServiceIndex = z.infer<typeof serviceIndexSchema>;

const getIndex = createRoute({
  method: 'get',
  path: '/',
  operationId: 'getServiceIndex',
  tags: ['operations'],
  summary: 'Where to go from here: API docs, health, metrics and the entry points of the API',
  responses: { 200: jsonDoc(serviceIndexSchema, 'Links to what this component serves') },
});

/** `GET /`: a small map of the component, so a first request lands somewhere useful. */
export function mountServiceIndex(
  app: OpenAPIHono<AppEnv>,
  {
    name,
    description,
    entryPoints,
  }: Omit<ServiceIndex, 'links'> & {
    entryPoints: Record<string, string>;
  },
): void {
  const links = {
    docs: '/docs',
    openapi: '/openapi.json',
    live: '/health/live',
    ready: '/health/ready',
    startup: '/health/startup',
    metrics: '/metrics',
    ...entryPoints,
  };
  app.openapi(getIndex, (c) => c.json({ name, description, links }, 200));
}
