import type { OpenAPIHono } from '@hono/zod-openapi';
import type { PgSchema } from 'drizzle-orm/pg-core';
import type { Logger } from 'pino';
import type { EventPublisher } from './bus/event-bus.ts';
import type { EventContract } from './bus/event-contract.ts';
import type { Subscription } from './bus/subscription.ts';
import type { BaseConfig } from './config/base-config.ts';
import type { Database } from './db/database.ts';
import type { AppEnv } from './http/app-env.ts';

/**
 * What the composition root hands every module. `C` is the part of the configuration the
 * module reads (its own slice; the component's whole configuration satisfies it).
 */
export interface ModuleContext<C = BaseConfig> {
  config: C;
  db: Database;
  events: EventPublisher;
  logger: Logger;
}

/**
 * A module as the monolith sees it: its name, its own Postgres schema, its routes (mounted
 * under /api), its event subscriptions, its lifecycle hooks, and the API it offers to
 * other modules through ports.
 */
export interface Module<Api = unknown> {
  name: string;
  schema: PgSchema<string>;
  routes?: OpenAPIHono<AppEnv>;
  /** The events this module publishes (its half of the event catalogue). */
  publishes?: EventContract[];
  subscriptions?: Subscription[];
  /** Demo data; must do nothing when the module already holds data. */
  seed?(): Promise<void>;
  start?(): Promise<void>;
  stop?(): Promise<void>;
  /**
   * Retention: deletes up to `limit` of the module's records older than `olderThanMs` that
   * nothing needs any more; returns how many (the most from one table). Called by the
   * platform's retention sweep.
   */
  prune?(olderThanMs: number, limit: number): Promise<number>;
  api: Api;
}

export function defineModule<Api>(module: Module<Api>): Module<Api> {
  if (module.schema.schemaName !== module.name) {
    throw new Error(
      `module ${module.name} keeps its tables in schema "${module.schema.schemaName}"; it must be "${module.name}"`,
    );
  }
  return module;
}
