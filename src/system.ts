import type { Logger } from 'pino';
import { z } from 'zod';
import {
  createPaymentsServiceComponent,
  loadPaymentsServiceConfig,
} from '../extracted/payments-service/index.ts';
import {
  createUsersServiceComponent,
  loadUsersServiceConfig,
} from '../extracted/users-service/index.ts';
import { createFacadeComponent, loadFacadeConfig, verifyAcross } from '../facade/index.ts';
import { DEMO_ACCOUNTS } from './modules/users/index.ts';
import { monolithComponent } from './monolith.ts';
import { loadMonolithConfig } from './monolith-config.ts';
import type { KeySourceOptions } from './platform/auth/key-source.ts';
import { loadServiceSigningKey } from './platform/auth/service-keys.ts';
import { createInProcessBroker } from './platform/bus/in-process-broker.ts';
import type { ComponentDefinition } from './platform/component/component.ts';
import {
  listenOn,
  openComponentDatabase,
  type RunningComponent,
  type StartOptions,
  startComponent,
} from './platform/component/start-component.ts';
import {
  type BaseConfig,
  baseConfigShape,
  ConfigError,
  loadConfig,
} from './platform/config/base-config.ts';
import type { DatabaseHandle } from './platform/db/database.ts';
import type { Listener } from './platform/http/serve.ts';

// The whole system: its components in start order (each after what it calls) and the run that
// starts them beside each other in one process. The only place in src/ that knows the extracted
// services. Who consumes whose events is in src/contracts/event-consumers.ts, which every
// component reads, so each knows it when it runs alone too.

/** Every component, in the order they start (they stop in reverse). */
export const COMPONENTS = ['users-service', 'payments-service', 'monolith', 'facade'] as const;
export type ComponentName = (typeof COMPONENTS)[number];

type Env = Record<string, string | undefined>;
/** A component with its configuration, as the system starts it. */
interface Part {
  seedsDemoData: boolean;
  listen(): Promise<Listener>;
  /** Its own database, migrated. */
  openDatabase(): Promise<DatabaseHandle>;
  start(logger: Logger, options: StartOptions): Promise<RunningComponent>;
  /** Its lines of the start-up banner. */
  banner(url: string): string[];
}

function part<C extends BaseConfig>(
  definition: ComponentDefinition<C>,
  config: C,
  banner: Part['banner'],
): Part {
  return {
    seedsDemoData: config.SEED_DEMO_DATA,
    listen: () => listenOn(definition, config),
    openDatabase: () => openComponentDatabase(definition, config),
    start: (logger, options) => startComponent(definition, config, logger, options),
    banner,
  };
}

const configLoaders: Record<ComponentName, (env: Env) => BaseConfig> = {
  'users-service': loadUsersServiceConfig,
  'payments-service': loadPaymentsServiceConfig,
  monolith: loadMonolithConfig,
  facade: loadFacadeConfig,
};

/** What the process itself reads: the base settings every component shares. */
const systemConfigSchema = z
  .object(baseConfigShape)
  .transform((config) => ({ ...config, SEED_DEMO_DATA: config.SEED_DEMO_DATA ?? false }));

/**
 * Validates the environment of `only` one component, or of all of them: every bad value is
 * named before anything starts (ConfigError).
 */
export function checkSystemConfig(env: Env, only?: ComponentName): BaseConfig {
  const problems = new Set<string>();
  for (const name of only ? [only] : COMPONENTS) {
    try {
      configLoaders[name](env);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      for (const line of error.message.split('\n').slice(1)) problems.add(line);
    }
  }
  if (problems.size > 0) throw new ConfigError(`Invalid environment:\n${[...problems].join('\n')}`);
  return loadConfig(systemConfigSchema, env);
}

/**
 * Every component's definition and configuration from one environment. In one process the
 * services trust the monolith's and the facade's service keys directly (their public halves,
 * from the same DATA_DIR), each component reaches the others where they listen, and the facade
 * serves legacy routes from the monolith's app without a network hop; run apart (compose),
 * SERVICE_TRUSTED_CALLERS and the *_URL(S) settings say where.
 */
function partsOf(
  env: Env,
  together:
    | {
        urls: ReadonlyMap<string, string>;
        /** A running component, once it started (the facade starts last). */
        running: (name: ComponentName) => RunningComponent;
      }
    | undefined,
) {
  const url = (name: ComponentName) => together?.urls.get(name);
  const monolith = loadMonolithConfig({
    ...(url('payments-service') && { PAYMENTS_SERVICE_URL: url('payments-service') }),
    ...(url('facade') && { FACADE_URL: url('facade') }),
    ...env,
  });
  const facade = loadFacadeConfig({
    ...(together && {
      FACADE_MONOLITH_URLS: url('monolith'),
      FACADE_USERS_SERVICE_URLS: url('users-service'),
      FACADE_PAYMENTS_SERVICE_URLS: url('payments-service'),
      FACADE_USERS_JWKS_URL: `${url('users-service')}/.well-known/jwks.json`,
    }),
    ...env,
  });
  const callerKey = (
    name: 'monolith' | 'facade',
    config: BaseConfig & { SERVICE_SIGNING_KEY?: unknown },
  ) => ({
    jwks: [loadServiceSigningKey(name, config as never).publicJwk],
  });
  const trustedCallers: Record<string, KeySourceOptions> | undefined = together && {
    monolith: callerKey('monolith', monolith),
    facade: callerKey('facade', facade),
  };
  const parts: Record<ComponentName, Part> = {
    'users-service': part(
      createUsersServiceComponent({ trustedCallers }),
      loadUsersServiceConfig(env),
      (url) => [`  users-service     ${url}  (API docs ${url}/docs)`],
    ),
    'payments-service': part(
      createPaymentsServiceComponent({ trustedCallers }),
      loadPaymentsServiceConfig(env),
      (url) => [`  payments-service  ${url}  (API docs ${url}/docs)`],
    ),
    monolith: part(monolithComponent, monolith, (url) => [
      `  monolith          ${url}  (API docs ${url}/docs)`,
    ]),
    facade: part(
      createFacadeComponent({
        ...(together && {
          legacyApp: {
            fetch: (request: Request) => together.running('monolith').app.fetch(request),
          },
          verify: verifyAcross((name) => together.running(name as ComponentName).database.db),
          trustedCallers: { monolith: callerKey('monolith', monolith) },
        }),
      }),
      facade,
      (url) => [
        `  facade            ${url}  (the entry point: every client request goes here)`,
        `  products          ${url}/api/products`,
        `  migration admin   ${url}/_facade`,
        `  health            ${url}/health/ready`,
      ],
    ),
  };
  return parts;
}

export interface RunningSystem {
  components: RunningComponent[];
  banner: string[];
  /** Stops the components in reverse start order. */
  stop(): Promise<void>;
}

/**
 * Every component's database, opened and migrated side by side (each its own; none needs
 * another's). If one fails, those that opened are closed and the first failure in start order
 * is thrown, so the error names the same database a one-by-one start would have.
 */
async function openDatabases(
  names: ComponentName[],
  parts: Record<ComponentName, Part>,
): Promise<Map<ComponentName, DatabaseHandle>> {
  const opened = await Promise.allSettled(names.map((name) => parts[name].openDatabase()));
  const databases = new Map<ComponentName, DatabaseHandle>();
  opened.forEach((result, index) => {
    if (result.status === 'fulfilled') databases.set(names[index] as ComponentName, result.value);
  });
  const failed = opened.find((result) => result.status === 'rejected');
  if (failed) {
    for (const database of databases.values()) await database.close();
    throw failed.reason;
  }
  return databases;
}

/**
 * Starts `only` one component, or all of them in one process: every port first (a taken one
 * fails before any database is touched), then every database side by side, then each component
 * in dependency order on its own database. Without Redis they share one in-process broker, so
 * events cross components as BullMQ carries them between containers. A start that fails stops
 * what had started.
 */
export async function startSystem(
  env: Env,
  logger: Logger,
  only?: ComponentName,
): Promise<RunningSystem> {
  const names = only ? [only] : [...COMPONENTS];
  if (names.length > 1) {
    // They stop one after another: all of them within the one SHUTDOWN_TIMEOUT_MS.
    const { SHUTDOWN_TIMEOUT_MS } = loadConfig(systemConfigSchema, env);
    env = { ...env, SHUTDOWN_TIMEOUT_MS: String(Math.floor(SHUTDOWN_TIMEOUT_MS / names.length)) };
  }
  const ports = partsOf(env, undefined);
  const listeners = new Map<ComponentName, Listener>();
  try {
    for (const name of names) listeners.set(name, await ports[name].listen());
  } catch (error) {
    for (const listener of listeners.values()) await listener.close();
    throw error;
  }

  const together =
    names.length > 1
      ? {
          urls: new Map([...listeners].map(([name, listener]) => [name, listener.url])),
          running: (name: ComponentName) => {
            const found = running.find((component) => component.name === name);
            if (!found) throw new Error(`${name} has not started`);
            return found;
          },
        }
      : undefined;
  const parts = partsOf(env, together);
  let databases: Map<ComponentName, DatabaseHandle>;
  try {
    databases = await openDatabases(names, parts);
  } catch (error) {
    for (const listener of listeners.values()) await listener.close();
    throw error;
  }
  const broker = env.REDIS_URL ? undefined : createInProcessBroker();
  const running: RunningComponent[] = [];
  const stop = async () => {
    for (const component of [...running].reverse()) await component.stop();
  };
  try {
    for (const name of names) {
      const component = await parts[name].start(
        // Alone, the process's logger already names it.
        together ? logger.child({ component: name }) : logger,
        { broker, listener: listeners.get(name), database: databases.get(name) },
      );
      running.push(component);
    }
  } catch (error) {
    await stop();
    // The one that failed gave back its own; those after it never started.
    for (const name of names.slice(running.length + 1)) {
      await databases.get(name)?.close();
      await listeners.get(name)?.close();
    }
    throw error;
  }
  const seeded = names.includes('monolith') && parts.monolith.seedsDemoData;
  return {
    components: running,
    banner: [
      // The entry point first.
      ...[...running]
        .reverse()
        .flatMap((component) => parts[component.name as ComponentName].banner(component.url)),
      ...(seeded
        ? [
            '',
            '  demo accounts (POST /api/auth/login with { login, password }):',
            ...DEMO_ACCOUNTS.map(
              (account) =>
                `    ${account.roles.join(',').padEnd(9)} ${account.username} / ${account.password}`,
            ),
          ]
        : []),
    ],
    stop,
  };
}
