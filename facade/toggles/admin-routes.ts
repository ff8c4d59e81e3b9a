import { createRoute, z } from '@hono/zod-openapi';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { requireRole } from '../../src/platform/auth/authenticate.ts';
import { type Problem, ProblemError } from '../../src/platform/http/problem.ts';
import {
  authErrors,
  bearerSecurity,
  jsonBody,
  jsonDoc,
  problemDoc,
} from '../../src/platform/http/route-docs.ts';
import { createRouter } from '../../src/platform/http/router.ts';
import { type Mode as RouteMode, modeSchema as routeModeSchema } from '../routes/modes.ts';
import type { Figures } from './figures.ts';
import type { Placement, ToggleStore } from './store.ts';
import {
  journalEntrySchema,
  percentageSchema,
  replicaSchema,
  routeIdSchema,
  routeToggleSchema,
} from './toggle.ts';
import { ToggleError } from './toggle-error.ts';

/** A move the admin asked for, as the parity gate sees it before anything is written. */
export interface ProposedChange {
  routeId: string;
  from: Placement;
  to: { mode: RouteMode; percentage: number };
  reason: string;
  changedBy: string;
  forced: boolean;
  figures: Figures;
}

/** The gate's answer: a refusal carries the problem to answer (409 with its numbers, say). */
export type GateDecision =
  | { allowed: true }
  | { allowed: false; problem: Problem & Record<string, unknown> };

export interface ToggleAdminOptions {
  store: ToggleStore;
  /** Asked before every change (not before a rollback); without it every change passes. */
  gate?(change: ProposedChange): Promise<GateDecision>;
  /** The route's figures now, journaled with the change; without it nothing is measured. */
  figures?(routeId: string): Promise<Figures>;
  /** Whether the route table knows the route; without it any well-formed id is accepted. */
  knownRoute?(routeId: string): boolean;
}

const tags = ['facade'];
const params = z.object({
  id: routeIdSchema.openapi({ param: { name: 'id', in: 'path' }, example: 'payments.read.by-id' }),
});
const reasonSchema = z.string().trim().min(1).max(500);

const changeSchema = z
  .object({
    mode: routeModeSchema,
    percentage: percentageSchema.optional().openapi({
      description: "The new side's share in canary; defaults to the route's percentage now.",
    }),
    reason: reasonSchema.openapi({ example: 'parity 99.8% over 2,000 samples' }),
    force: z.boolean().optional().openapi({ description: "Past the parity gate's refusal." }),
  })
  .openapi('RouteToggleChange');

const rollbackSchema = z.object({ reason: reasonSchema }).openapi('RouteToggleRollback');

const listRoutes = createRoute({
  method: 'get',
  path: '/routes',
  operationId: 'listRouteToggles',
  tags,
  summary: "Every changed route's toggle, and the version this replica applies",
  security: bearerSecurity,
  responses: {
    200: jsonDoc(
      z.object({ version: z.number().int(), items: z.array(routeToggleSchema) }),
      'The toggles',
    ),
    ...authErrors,
  },
});

const changeRoute = createRoute({
  method: 'put',
  path: '/routes/{id}',
  operationId: 'changeRouteToggle',
  tags,
  summary: 'Move a route to another mode or percentage (every replica follows within a second)',
  security: bearerSecurity,
  request: { params, body: jsonBody(changeSchema) },
  responses: {
    200: jsonDoc(routeToggleSchema, 'The route after the change'),
    400: problemDoc('Unknown mode, percentage out of 0–100, or no reason'),
    ...authErrors,
    404: problemDoc('No such route'),
    409: problemDoc('Refused by the parity gate'),
  },
});

const rollbackRoute = createRoute({
  method: 'post',
  path: '/routes/{id}/rollback',
  operationId: 'rollbackRouteToggle',
  tags,
  summary: 'Put a route back where it was before its last change',
  security: bearerSecurity,
  request: { params, body: jsonBody(rollbackSchema) },
  responses: {
    200: jsonDoc(routeToggleSchema, 'The route after the rollback'),
    400: problemDoc('No reason'),
    ...authErrors,
    404: problemDoc('No such route'),
    409: problemDoc('The route was never changed'),
  },
});

const listJournal = createRoute({
  method: 'get',
  path: '/journal',
  operationId: 'listToggleJournal',
  tags,
  summary: 'Every change, newest first: who, when, from, to, why, and the figures then',
  security: bearerSecurity,
  request: {
    query: z.object({
      route: routeIdSchema.optional(),
      limit: z.coerce.number().int().min(1).max(500).default(50),
    }),
  },
  responses: {
    200: jsonDoc(z.object({ items: z.array(journalEntrySchema) }), 'Journal entries'),
    400: problemDoc('Bad route id or limit'),
    ...authErrors,
  },
});

const listReplicas = createRoute({
  method: 'get',
  path: '/replicas',
  operationId: 'listToggleReplicas',
  tags,
  summary: 'The global version and the version each facade replica applies',
  security: bearerSecurity,
  responses: {
    200: jsonDoc(
      z.object({ version: z.number().int(), items: z.array(replicaSchema) }),
      'Replicas; lag > 0 is behind',
    ),
    ...authErrors,
  },
});

/** The gate's problem answered as it is, its numbers (extension members) included. */
class GateRefusal extends ProblemError {
  override readonly problem: Problem & Record<string, unknown>;

  constructor(problem: Problem & Record<string, unknown>) {
    super(problem.status as ContentfulStatusCode, problem.detail ?? problem.title);
    this.problem = problem;
  }
}

const asProblem = (error: unknown): never => {
  if (error instanceof ToggleError) {
    const conflict = error.code === 'nothing-to-roll-back' || error.code === 'version-moved';
    throw new ProblemError(conflict ? 409 : 400, error.message);
  }
  throw error;
};

/** The facade's toggle admin API, mounted at `/_facade/api`. Admins only. */
export function toggleAdminRoutes(options: ToggleAdminOptions) {
  const { store } = options;
  const router = createRouter();
  router.use('*', requireRole('admin'));
  const known = (routeId: string) => {
    if (options.knownRoute && !options.knownRoute(routeId)) {
      throw new ProblemError(404, `No route ${routeId} in the route table.`);
    }
  };
  const figuresOf = async (routeId: string) => (await options.figures?.(routeId)) ?? {};
  const changedBy = (id: string | undefined) => id ?? 'unknown';

  router.openapi(listRoutes, (c) => {
    const { version, routes } = store.current();
    return c.json({ version, items: [...routes.values()] }, 200);
  });

  router.openapi(changeRoute, async (c) => {
    const { id } = c.req.valid('param');
    known(id);
    const body = c.req.valid('json');
    const before = store.toggle(id);
    const proposed: ProposedChange = {
      routeId: id,
      from: { mode: before.mode, percentage: before.percentage },
      to: { mode: body.mode, percentage: body.percentage ?? before.percentage },
      reason: body.reason,
      changedBy: changedBy(c.var.user?.id),
      forced: body.force ?? false,
      figures: await figuresOf(id),
    };
    const decision = (await options.gate?.(proposed)) ?? { allowed: true };
    if (!decision.allowed) throw new GateRefusal(decision.problem);
    const after = await store
      .change({ ...proposed, mode: proposed.to.mode, percentage: proposed.to.percentage })
      .catch(asProblem);
    return c.json(after, 200);
  });

  router.openapi(rollbackRoute, async (c) => {
    const { id } = c.req.valid('param');
    known(id);
    const after = await store
      .rollback(id, {
        changedBy: changedBy(c.var.user?.id),
        reason: c.req.valid('json').reason,
        figures: await figuresOf(id),
      })
      .catch(asProblem);
    return c.json(after, 200);
  });

  router.openapi(listJournal, async (c) => {
    const { route, limit } = c.req.valid('query');
    return c.json({ items: await store.journal(route, limit) }, 200);
  });

  router.openapi(listReplicas, async (c) => c.json(await store.replicas(), 200));
  return router;
}
