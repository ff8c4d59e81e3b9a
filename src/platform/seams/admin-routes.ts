import { createRoute, z } from '@hono/zod-openapi';
import { requireRole } from '../auth/authenticate.ts';
import { codedProblem, notFound, ProblemError } from '../http/problem.ts';
import { authErrors, bearerSecurity, jsonBody, jsonDoc, problemDoc } from '../http/route-docs.ts';
import { createRouter } from '../http/router.ts';
import { routeModeSchema } from '../routing/route-modes.ts';
import type { Seam } from './seam.ts';
import { SeamSetElsewhere } from './seam-source.ts';

const seamStateSchema = z
  .object({
    seam: z.string(),
    adapter: z.string(),
    split: z.object({ adapter: z.string(), percentage: z.number().int() }).nullable().openapi({
      description:
        'While set, new work whose key falls in the first `percentage` buckets goes to this adapter.',
    }),
    adapters: z.array(z.string()),
    version: z.number().int(),
    changedAt: z.iso.datetime().nullable(),
    changedBy: z.uuid().nullable(),
    reason: z.string().nullable(),
    follows: z
      .object({
        facade: z.string(),
        routeId: z.string(),
        mode: routeModeSchema.nullable(),
        percentage: z.number().int().nullable(),
        heardAt: z.iso.datetime().nullable(),
      })
      .nullable()
      .openapi({
        description:
          "Set when the seam follows the facade's toggle of this route; null while it keeps its own setting.",
      }),
  })
  .openapi('SeamState');

const changeSchema = z
  .object({
    adapter: z.string().min(1).max(50).openapi({ example: 'http' }),
    reason: z.string().trim().min(1).max(500).openapi({ example: 'payments-service parity 99.9%' }),
  })
  .openapi('SeamChange');

const tags = ['seams'];
const params = z.object({
  seam: z
    .string()
    .min(1)
    .max(100)
    .openapi({ param: { name: 'seam', in: 'path' }, example: 'payment-gateway' }),
});

const listSeams = createRoute({
  method: 'get',
  path: '/',
  operationId: 'listSeams',
  tags,
  summary: 'Which adapter each internal seam uses now',
  security: bearerSecurity,
  responses: {
    200: jsonDoc(z.object({ items: z.array(seamStateSchema) }), 'Every seam'),
    ...authErrors,
  },
});

const changeSeam = createRoute({
  method: 'put',
  path: '/{seam}',
  operationId: 'changeSeam',
  tags,
  summary: 'Send new work through another adapter (every replica follows within a second)',
  description:
    "Work already started (an order whose payment was sent one way) stays with its adapter. A seam that follows the facade's toggle of its route is changed at the facade, not here (409).",
  security: bearerSecurity,
  request: { params, body: jsonBody(changeSchema) },
  responses: {
    200: jsonDoc(seamStateSchema, 'The seam after the change'),
    400: problemDoc('Unknown adapter or missing reason'),
    ...authErrors,
    404: problemDoc('No such seam'),
    409: problemDoc("The seam follows the facade's toggle: it is changed at the facade"),
  },
});

/** Seams of any adapter names are listed alike. */
type AnySeam = Seam<string>;

/** Admin API of a component's internal seams: see them, and switch one at runtime. */
export function seamAdminRoutes(seams: readonly AnySeam[]) {
  const router = createRouter();
  router.use('*', requireRole('admin'));
  const describe = async (seam: AnySeam) => ({
    ...(await seam.state()),
    adapters: [...seam.adapters],
  });
  router.openapi(listSeams, async (c) =>
    c.json({ items: await Promise.all(seams.map(describe)) }, 200),
  );
  router.openapi(changeSeam, async (c) => {
    const seam = seams.find((s) => s.name === c.req.valid('param').seam);
    if (!seam) throw notFound(`No seam named ${c.req.valid('param').seam}.`);
    const { adapter, reason } = c.req.valid('json');
    if (!seam.adapters.includes(adapter)) {
      throw new ProblemError(
        400,
        `Seam ${seam.name} has no adapter ${adapter}; it has ${seam.adapters.join(', ')}.`,
      );
    }
    await seam.set({ adapter, reason, changedBy: c.var.user?.id }).catch((error: unknown) => {
      if (error instanceof SeamSetElsewhere) {
        throw codedProblem(409, 'seam-set-at-facade', error.message);
      }
      throw error;
    });
    return c.json(await describe(seam), 200);
  });
  return router;
}
