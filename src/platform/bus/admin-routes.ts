import { createRoute, z } from '@hono/zod-openapi';
import { requireRole } from '../auth/authenticate.ts';
import { notFound } from '../http/problem.ts';
import { authErrors, bearerSecurity, jsonDoc, problemDoc } from '../http/route-docs.ts';
import { createRouter } from '../http/router.ts';
import type { EventBus } from './event-bus.ts';

const deadDeliverySchema = z
  .object({
    eventId: z.uuid(),
    subscriber: z.string(),
    eventName: z.string(),
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    failedAt: z.string(),
  })
  .openapi('DeadDelivery');

const listDead = createRoute({
  method: 'get',
  path: '/dead',
  operationId: 'listDeadDeliveries',
  tags: ['events'],
  summary: 'Deliveries parked as dead after their last attempt',
  security: bearerSecurity,
  request: { query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }) },
  responses: {
    200: jsonDoc(z.object({ items: z.array(deadDeliverySchema) }), 'Dead deliveries, newest first'),
    400: problemDoc('Invalid limit'),
    ...authErrors,
  },
});

const replayDead = createRoute({
  method: 'post',
  path: '/dead/{eventId}/{subscriber}/replay',
  operationId: 'replayDeadDelivery',
  tags: ['events'],
  summary: 'Deliver a dead event to its subscriber again, with a fresh set of attempts',
  security: bearerSecurity,
  request: { params: z.object({ eventId: z.uuid(), subscriber: z.string().min(1).max(200) }) },
  responses: {
    202: jsonDoc(z.object({ status: z.literal('pending') }), 'Queued for delivery'),
    400: problemDoc('Invalid event id or subscriber'),
    ...authErrors,
    404: problemDoc('No dead delivery with that id'),
  },
});

/** Admin view of the event bus: list dead deliveries and replay them. */
export function eventAdminRoutes(bus: EventBus) {
  const router = createRouter();
  router.use('*', requireRole('admin'));
  router.openapi(listDead, async (c) => {
    const { limit } = c.req.valid('query');
    return c.json({ items: await bus.deadDeliveries(limit) }, 200);
  });
  router.openapi(replayDead, async (c) => {
    const { eventId, subscriber } = c.req.valid('param');
    if (!(await bus.replay(eventId, subscriber))) {
      throw notFound(`No dead delivery of event ${eventId} to ${subscriber}.`);
    }
    return c.json({ status: 'pending' as const }, 202);
  });
  return router;
}
