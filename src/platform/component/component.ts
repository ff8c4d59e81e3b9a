import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Handler, MiddlewareHandler } from 'hono';
import type { Redis } from 'ioredis';
import type { RemoteSubscribers } from '../bus/bullmq-transport.ts';
import type { EventBus } from '../bus/event-bus.ts';
import type { BaseConfig } from '../config/base-config.ts';
import type { DatabaseHandle } from '../db/database.ts';
import type { ReadinessCheck } from '../health.ts';
import type { ApiInfo } from '../http/api-docs.ts';
import type { AppEnv } from '../http/app-env.ts';
import type { Metrics } from '../metrics.ts';
import type { Module, ModuleContext } from '../module.ts';
import type { Prune } from '../retention.ts';

/**
 * What a component hands its parts once its database is open: the monolith's modules and a
 * service's one module alike get this.
 */
export interface ComponentContext<C extends BaseConfig> extends ModuleContext<C> {
  /** The component's name, as logs and metrics carry it. */
  component: string;
  database: DatabaseHandle;
  bus: EventBus;
  /** The component's Redis connection, when REDIS_URL is set (the bus uses it too). */
  redis: Redis | undefined;
  /** The component's metrics registry, served at /metrics: a part may add its own series. */
  metrics: Metrics;
}

/** What a component is made of, built on an open database. */
export interface ComponentParts {
  /**
   * In start order (each after what it calls). The kernel mounts their routes under the
   * component's route prefix, subscribes their subscriptions, seeds, starts, prunes and stops
   * them (in reverse).
   */
  modules: Module[];
  /** Verifies the caller's credentials on every request and sets `c.var.user`. */
  authenticate: MiddlewareHandler<AppEnv>;
  /** Anything else the component serves (an admin page, a dashboard), mounted after the modules. */
  mount?(app: OpenAPIHono<AppEnv>): void;
  /**
   * What answers every request nothing else serves (the facade's proxy), mounted after the
   * kernel's own routes (health, metrics, docs, index), so those stay the component's.
   */
  catchAll?: Handler<AppEnv>;
  /**
   * Answer headers (secure headers, the request id) go on an answer once it is built, not on
   * Hono's prepared headers up front: for a component whose handler builds nearly every answer
   * itself (the facade's proxy). See src/platform/http/answer-headers.ts.
   */
  deferAnswerHeaders?: boolean;
  /** The service index's links (`GET /`) to the API's entry points. */
  entryPoints: Record<string, string>;
  /** Readiness checks beyond the database, Redis and the event relay. */
  checks?: Record<string, ReadinessCheck>;
  /** Runs after the modules stopped, before the bus and the database close. */
  stop?(): Promise<void>;
  /** Retention of what the component keeps beside its modules (seam pins, …). */
  prunes?: Array<{ name: string; prune: Prune }>;
}

/**
 * One deployable part of the system (the monolith, a service, the facade), as the kernel
 * starts it. A component's composition root is its definition: read top to bottom, it says
 * what the component is made of.
 */
export interface ComponentDefinition<C extends BaseConfig> {
  /** `monolith`, `users-service`, …: the log field, metrics label and PGlite directory. */
  name: string;
  /** The OpenAPI document's title, version, description and tags. */
  about: ApiInfo;
  /** Where the modules' routes are mounted: `/api` for the monolith, `` for a service. */
  routePrefix: string;
  /** The port to listen on, and the setting that chose it (named when it is taken). */
  port(config: C): { port: number; setting: string };
  /** The component's own database: its URL (none: embedded) and its migrations folder. */
  database(config: C): { url: string | undefined; migrations: string };
  /**
   * The events this component consumes from OTHER components, by event name: its subscriber
   * names. A fact of the deployment: every publisher is told (see src/system.ts), so an event
   * counts as dispatched only once these subscribers' deliveries are recorded. Each must be one
   * of the subscriptions `build` returns.
   */
  consumes?: RemoteSubscribers;
  /**
   * The subscribers of other components this component's events must reach, by event name
   * (the others' `consumes`): with Redis they get BullMQ jobs, in one process the broker hands
   * them the events.
   */
  remoteSubscribers?: RemoteSubscribers;
  build(context: ComponentContext<C>): ComponentParts;
}

export function defineComponent<C extends BaseConfig>(
  definition: ComponentDefinition<C>,
): ComponentDefinition<C> {
  return definition;
}
