import { createRoute } from '@hono/zod-openapi';
import { requireRole } from '../../src/platform/auth/authenticate.ts';
import { authErrors, bearerSecurity, jsonDoc } from '../../src/platform/http/route-docs.ts';
import { createRouter } from '../../src/platform/http/router.ts';
import type { Side } from '../proxy/exchange.ts';
import type { RouteTable } from '../routes/route-entry.ts';
import type { ToggleStore } from '../toggles/store.ts';
import type { UpstreamState } from '../upstream/upstream.ts';
import {
  type Overview,
  overviewSchema,
  type ParityFigures,
  type RouteOverview,
  type SideWindow,
} from './overview-schema.ts';

// `GET /_facade/api/overview`: every route of the table at once, as the admin page shows it.

export interface OverviewSources {
  table: RouteTable;
  store: ToggleStore;
  replicaId: string;
  stats: {
    window(routeId: string, side: Side): SideWindow;
    fallbacks(routeId: string): number;
  };
  parity: { figures(routeId: string): Promise<ParityFigures> };
  /** Each upstream's state, by name (monolith, users-service, payments-service). */
  upstreams: Record<string, { state(): UpstreamState }>;
}

const getOverview = createRoute({
  method: 'get',
  path: '/overview',
  operationId: 'getFacadeOverview',
  tags: ['facade'],
  summary: "Every route: its mode, both sides' live figures, shadow parity, circuits, replicas",
  security: bearerSecurity,
  responses: { 200: jsonDoc(overviewSchema, 'The overview'), ...authErrors },
});

export function overviewRoutes(sources: OverviewSources) {
  const { table, store, stats, parity, upstreams } = sources;
  const router = createRouter();
  router.use('*', requireRole('admin'));
  const circuit = (name: string) => upstreams[name]?.state().circuit ?? 'closed';

  router.openapi(getOverview, async (c) => {
    const routes = await Promise.all(
      table.map(async (entry): Promise<RouteOverview> => {
        const toggle = store.toggle(entry.id);
        return {
          id: entry.id,
          methods: entry.methods,
          path: entry.path,
          newTarget: entry.new?.target ?? null,
          mode: toggle.mode,
          percentage: toggle.percentage,
          version: toggle.version,
          changedAt: toggle.changedAt,
          changedBy: toggle.changedBy,
          reason: toggle.reason,
          gate: { threshold: entry.parity.threshold, minSamples: entry.parity.minSamples },
          parity: entry.new ? await parity.figures(entry.id) : null,
          sides: {
            legacy: stats.window(entry.id, 'legacy'),
            new: entry.new ? stats.window(entry.id, 'new') : null,
          },
          fallbacks: stats.fallbacks(entry.id),
          circuit: {
            legacy: circuit('monolith'),
            new: entry.new ? circuit(entry.new.target) : null,
          },
        };
      }),
    );
    const overview: Overview = {
      version: store.current().version,
      replicaId: sources.replicaId,
      routes,
      replicas: await store.replicas(),
    };
    return c.json(overview, 200);
  });
  return router;
}
