import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../../src/platform/http/app-env.ts';
import { routeFigures } from '../stats/route-figures.ts';
import { type ToggleAdminOptions, toggleAdminRoutes } from '../toggles/admin-routes.ts';
import { type OverviewSources, overviewRoutes } from './overview-routes.ts';
import { adminPage } from './page-routes.ts';

// The admin page at /_facade and the API it calls under /_facade/api: the route toggles and
// their journal (each change journaled with the route's figures now), and the overview.

export interface AdminConsoleSources extends OverviewSources {
  /** Asked before every change (the parity gate). */
  gate: NonNullable<ToggleAdminOptions['gate']>;
}

export function mountAdminConsole(app: OpenAPIHono<AppEnv>, sources: AdminConsoleSources): void {
  const known = new Set(sources.table.map((entry) => entry.id));
  app.route(
    '/_facade/api',
    toggleAdminRoutes({
      store: sources.store,
      gate: sources.gate,
      figures: routeFigures(sources),
      knownRoute: (id) => known.has(id),
    }),
  );
  app.route('/_facade/api', overviewRoutes(sources));
  app.route('/_facade', adminPage());
}
