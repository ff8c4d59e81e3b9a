import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, matchesGlob, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  loadPaymentsServiceConfig,
  PAYMENTS_SERVICE_MIGRATIONS,
} from '../extracted/payments-service/index.ts';
import {
  loadUsersServiceConfig,
  USERS_SERVICE_MIGRATIONS,
} from '../extracted/users-service/index.ts';
import { FACADE_MIGRATIONS, loadFacadeConfig } from '../facade/index.ts';
import { MONOLITH_MIGRATIONS } from '../src/monolith.ts';
import { loadMonolithConfig } from '../src/monolith-config.ts';
import { trustedCallersSetting } from '../src/platform/auth/service-credentials-config.ts';
import { COMPONENTS, type ComponentName, checkSystemConfig } from '../src/system.ts';
import {
  compose,
  composeText,
  environmentOf,
  operatorVariables,
  type PortMapping,
  referencesIn,
  services,
} from './deployment/compose-file.ts';

// No Docker engine runs tests here, so this checks what docker-compose.yml implies instead.
// test/deployment/init-databases.test.ts runs its PostgreSQL init script on the real server.

/** The host port a mapping pins, if any (short syntax `[ip:]host:container`, or `published`). */
function fixedHostPort(mapping: PortMapping): string | undefined {
  if (typeof mapping === 'object') return mapping.published?.toString();
  const parts = String(mapping)
    .replace(/\/\w+$/, '')
    .split(':');
  return parts.length >= 2 && parts.at(-2) ? parts.at(-2) : undefined;
}
const containerPort = (mapping: PortMapping) =>
  typeof mapping === 'object' ? mapping.target : Number(String(mapping).split(':').at(-1));

/** Compose durations as this file writes them (`15s`, `1m30s`), in milliseconds. */
function durationMs(value: string): number {
  const units: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
  const parts = [...value.matchAll(/(\d+)(ms|s|m|h)/g)];
  expect(parts.map(([part]) => part).join(''), `${value} is a duration`).toBe(value);
  return parts.reduce((sum, [, amount, unit]) => sum + Number(amount) * units[unit!]!, 0);
}

const vars = operatorVariables();
/** Each component's configuration, loaded from its compose environment as its container would. */
const configs = {
  'users-service': loadUsersServiceConfig(environmentOf('users-service', vars)),
  'payments-service': loadPaymentsServiceConfig(environmentOf('payments-service', vars)),
  monolith: loadMonolithConfig(environmentOf('monolith', vars)),
  facade: loadFacadeConfig(environmentOf('facade', vars)),
} satisfies Record<ComponentName, unknown>;
const portOf: Record<ComponentName, number> = {
  'users-service': configs['users-service'].USERS_SERVICE_PORT,
  'payments-service': configs['payments-service'].PAYMENTS_SERVICE_PORT,
  monolith: configs.monolith.MONOLITH_PORT,
  facade: configs.facade.FACADE_PORT,
};
const databaseUrlOf: Record<ComponentName, URL> = {
  'users-service': new URL(configs['users-service'].USERS_SERVICE_DATABASE_URL!),
  'payments-service': new URL(configs['payments-service'].PAYMENTS_SERVICE_DATABASE_URL!),
  monolith: new URL(configs.monolith.DATABASE_URL!),
  facade: new URL(configs.facade.FACADE_DATABASE_URL!),
};
/** The postgres service's variables naming each component's database and role. */
const initVariableOf: Record<ComponentName, string> = {
  'users-service': 'USERS_SERVICE_DB',
  'payments-service': 'PAYMENTS_SERVICE_DB',
  monolith: 'MONOLITH_DB',
  facade: 'FACADE_DB',
};
/** The one component clients reach, so the one whose host ports are known in advance. */
const ENTRY_POINT = 'facade' satisfies ComponentName;
const internal = COMPONENTS.filter((name) => name !== ENTRY_POINT);
/** The JWKS URL where a caller publishes its service keys on the compose network. */
const serviceJwksOf = (name: ComponentName) =>
  `http://${name}:${portOf[name]}/.well-known/service-jwks.json`;

describe('docker-compose.yml', () => {
  it('says it needs Compose v2 and uses its syntax only: a top-level name, no version key', () => {
    expect(composeText.split('\n').slice(0, 5).join('\n')).toMatch(/Requires Docker Compose v2/);
    expect(compose.name).toBe('commerce');
    expect(compose).not.toHaveProperty('version');
  });

  it('restarts every service unless it was stopped on purpose', () => {
    for (const [name, service] of Object.entries(services)) {
      expect(service.restart, name).toBe('unless-stopped');
    }
  });

  it('runs every component in its own container, all from the one image built here', () => {
    const components = Object.keys(services).filter((name) => services[name]!.build);
    expect(components.sort()).toEqual([...COMPONENTS].sort());
    for (const name of COMPONENTS) {
      expect(services[name]?.command, name).toEqual(['node', 'src/main.ts', name]);
      expect(services[name]?.build, name).toBe('.');
      expect(services[name]?.image, name).toBe(services.monolith?.image);
    }
    expect(services.monolith?.image).toBeDefined();
  });

  it('pins no host port on any component behind the entry point, so each scales; what they publish stays on loopback', () => {
    for (const name of internal) {
      const ports = services[name]?.ports ?? [];
      expect(ports.map(fixedHostPort), name).toEqual(ports.map(() => undefined));
      expect(ports, name).toEqual([
        { target: portOf[name], host_ip: '127.0.0.1', protocol: 'tcp' },
      ]);
      expect(ports.map(containerPort), name).toEqual([portOf[name]]);
    }
  });

  it('publishes the entry point on a loopback host port range, one port per replica', () => {
    // Clients (and production's load balancer) need ports known in advance, which an ephemeral
    // port is not; yet one fixed port binds only one replica. A range as long as the replica
    // count gives each replica its own known port.
    const ports = services[ENTRY_POINT]?.ports ?? [];
    expect(ports).toEqual([
      {
        target: portOf[ENTRY_POINT],
        published: '3000-3001',
        host_ip: '127.0.0.1',
        protocol: 'tcp',
      },
    ]);
    const [first, last] = String(fixedHostPort(ports[0]!)).split('-').map(Number);
    expect(last! - first! + 1).toBe(services[ENTRY_POINT]?.deploy?.replicas);
    expect(ports.map(containerPort)).toEqual([portOf[ENTRY_POINT]]);
  });

  it('runs the facade as two replicas, each under its own replica id', () => {
    const facade = services.facade!;
    expect(facade.deploy?.replicas).toBe(2);
    // A fixed container name would allow one container only.
    expect(facade).not.toHaveProperty('container_name');
    // The replicas share one environment, so a replica id set there would name both alike; unset,
    // each defaults to its own container's hostname and pid.
    expect(environmentOf('facade', vars)).not.toHaveProperty('FACADE_REPLICA_ID');
    expect(configs.facade.FACADE_REPLICA_ID).toBe(`${hostname()}-${process.pid}`);
  });

  it('gives every service a health check, and waits for healthy dependencies', () => {
    for (const [name, service] of Object.entries(services)) {
      expect(service.healthcheck, `${name} has a healthcheck`).toBeDefined();
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect(services[dependency], `${name} depends on a defined service`).toBeDefined();
        expect(condition).toBe('service_healthy');
      }
    }
  });

  it("checks each component's readiness on its own port", () => {
    for (const name of COMPONENTS) {
      expect(services[name]?.healthcheck?.test.join(' '), name).toContain(
        `http://127.0.0.1:${portOf[name]}/health/ready`,
      );
    }
  });

  it('starts each service on healthy PostgreSQL and Redis, the monolith after both services, the facade last', () => {
    const dependenciesOf = (name: string) => Object.keys(services[name]?.depends_on ?? {}).sort();
    expect(dependenciesOf('users-service')).toEqual(['postgres', 'redis']);
    expect(dependenciesOf('payments-service')).toEqual(['postgres', 'redis']);
    // It calls payments-service (the HTTP seam) and consumes both services' events.
    expect(dependenciesOf('monolith')).toEqual([
      'payments-service',
      'postgres',
      'redis',
      'users-service',
    ]);
    // It forwards to all three, and no one waits for it: the monolith follows the seam's toggle
    // once the facade answers, so a dependency back on it would be a cycle.
    expect(dependenciesOf('facade')).toEqual([
      'monolith',
      'payments-service',
      'postgres',
      'redis',
      'users-service',
    ]);
    expect(Object.keys(services).filter((name) => dependenciesOf(name).includes('facade'))).toEqual(
      [],
    );
  });

  it('gives each component longer to stop than its own graceful shutdown may take', () => {
    for (const name of COMPONENTS) {
      const grace = durationMs(services[name]?.stop_grace_period ?? '0s');
      expect(grace, name).toBeGreaterThan(configs[name].SHUTDOWN_TIMEOUT_MS);
    }
  });

  it('configures Redis for queues: never evict keys', () => {
    expect(services.redis?.command).toEqual(
      expect.arrayContaining(['--maxmemory-policy', 'noeviction']),
    );
  });

  it("gives every component a production environment its own config accepts, on compose's Redis", () => {
    for (const name of COMPONENTS) {
      // What `node src/main.ts <component>` checks before it starts anything.
      expect(() => checkSystemConfig(environmentOf(name, vars), name), name).not.toThrow();
      const config = configs[name];
      expect(config.NODE_ENV, name).toBe('production');
      expect(config.SEED_DEMO_DATA, name).toBe(false);
      expect(new URL(config.REDIS_URL!).host, name).toBe('redis:6379');
    }
    // Events cross components through BullMQ: every one of them under the same key prefix.
    expect(new Set(COMPONENTS.map((name) => configs[name].REDIS_PREFIX)).size).toBe(1);
  });

  it('gives each component its own database on the postgres service, as its own role', () => {
    const passwordVariable: Record<ComponentName, string> = {
      'users-service': 'USERS_SERVICE_DB_PASSWORD',
      'payments-service': 'PAYMENTS_SERVICE_DB_PASSWORD',
      monolith: 'MONOLITH_DB_PASSWORD',
      facade: 'FACADE_DB_PASSWORD',
    };
    for (const name of COMPONENTS) {
      const url = databaseUrlOf[name];
      expect(url.host, name).toBe('postgres:5432');
      // As postgres.js reads the URL: the password exported for this component, quotes and all.
      expect(decodeURIComponent(url.password), name).toBe(vars[passwordVariable[name]]);
      // Its own database's URL only: no component is handed another's.
      const urls = Object.values(environmentOf(name, vars))
        .filter((value) => value.startsWith('postgres://'))
        .map((value) => new URL(value).href);
      expect(urls, name).toEqual([url.href]);
    }
    const roles = COMPONENTS.map((name) => decodeURIComponent(databaseUrlOf[name].username));
    const databases = COMPONENTS.map((name) => databaseUrlOf[name].pathname.slice(1));
    expect(new Set(roles).size).toBe(COMPONENTS.length);
    expect(new Set(databases).size).toBe(COMPONENTS.length);
    expect(roles).not.toContain(services.postgres?.environment?.POSTGRES_USER);
  });

  it('has the init script make exactly the roles and databases the components connect as and to', () => {
    const postgres = services.postgres!;
    expect(postgres.volumes).toContain(
      './deploy/postgres/init-databases.sh:/docker-entrypoint-initdb.d/init-databases.sh:ro',
    );
    const env = environmentOf('postgres', vars);
    for (const name of COMPONENTS) {
      const url = databaseUrlOf[name];
      // The script names a component's role and its database alike, from <COMPONENT>_DB.
      expect(env[initVariableOf[name]], name).toBe(decodeURIComponent(url.username));
      expect(env[initVariableOf[name]], name).toBe(url.pathname.slice(1));
      expect(env[`${initVariableOf[name]}_PASSWORD`], name).toBe(decodeURIComponent(url.password));
    }
    const script = readFileSync('deploy/postgres/init-databases.sh', 'utf8');
    const components = /for component in ([A-Z_ ]+); do/.exec(script)?.[1]?.split(' ') ?? [];
    expect(components.map((component) => `${component}_DB`).sort()).toEqual(
      Object.values(initVariableOf).sort(),
    );
  });

  it('points every URL setting at the compose service and port of the component it names', () => {
    const monolith = configs.monolith;
    expect(monolith.PAYMENTS_SERVICE_URL).toBe(
      `http://payments-service:${portOf['payments-service']}`,
    );
    expect(monolith.USERS_JWKS_URL).toBe(
      `http://users-service:${portOf['users-service']}/.well-known/jwks.json`,
    );
    expect(monolith.PAYMENT_GATEWAY).toBe('in-process');
    // Its payment seam reads its toggle from the facade's internal API.
    expect(environmentOf('monolith', vars).FACADE_URL).toBe(`http://facade:${portOf.facade}`);

    const facade = configs.facade;
    expect(facade.FACADE_MONOLITH_URLS).toEqual([`http://monolith:${portOf.monolith}`]);
    expect(facade.FACADE_USERS_SERVICE_URLS).toEqual([
      `http://users-service:${portOf['users-service']}`,
    ]);
    expect(facade.FACADE_PAYMENTS_SERVICE_URLS).toEqual([
      `http://payments-service:${portOf['payments-service']}`,
    ]);
    expect(facade.FACADE_USERS_JWKS_URL).toBe(
      `http://users-service:${portOf['users-service']}/.well-known/jwks.json`,
    );
  });

  it('has every service trust the monolith and the facade, each by its published service keys', () => {
    const callers = { monolith: serviceJwksOf('monolith'), facade: serviceJwksOf('facade') };
    expect(configs['users-service'].SERVICE_TRUSTED_CALLERS).toEqual(callers);
    expect(configs['payments-service'].SERVICE_TRUSTED_CALLERS).toEqual(callers);
    // The facade's internal API takes the monolith's calls (its payment seam's toggle).
    expect(
      trustedCallersSetting.parse(environmentOf('facade', vars).SERVICE_TRUSTED_CALLERS),
    ).toEqual({ monolith: serviceJwksOf('monolith') });
  });

  it('gives the monolith and the facade a service key each, so a service tells them apart', () => {
    const raw = (name: string) => services[name]?.environment?.SERVICE_SIGNING_KEY ?? '';
    expect(referencesIn(raw('monolith')).map((ref) => ref.name)).toEqual([
      'MONOLITH_SERVICE_SIGNING_KEY',
    ]);
    // Both replicas read this one variable: the JWKS any of them serves verifies them all.
    expect(referencesIn(raw('facade')).map((ref) => ref.name)).toEqual([
      'FACADE_SERVICE_SIGNING_KEY',
    ]);
    expect(configs.facade.SERVICE_SIGNING_KEY).not.toEqual(configs.monolith.SERVICE_SIGNING_KEY);
  });

  it("gives the users side's signing keys to the two users sides only, from one variable", () => {
    const raw = (name: string) => services[name]?.environment?.USERS_SIGNING_KEYS;
    expect(referencesIn(raw('monolith') ?? '').map((ref) => ref.name)).toEqual([
      'USERS_SIGNING_KEYS',
    ]);
    expect(raw('users-service')).toBe(raw('monolith'));
    expect(configs['users-service'].USERS_SIGNING_KEYS).toEqual(
      configs.monolith.USERS_SIGNING_KEYS,
    );
    // A verifier holds public keys only.
    for (const verifier of ['payments-service', 'facade']) {
      expect(services[verifier]?.environment, verifier).not.toHaveProperty('USERS_SIGNING_KEYS');
    }
  });

  it('takes every password and key from the environment, with no default, each named in the header', () => {
    const header = composeText.slice(0, composeText.indexOf('\nname:'));
    const secrets = Object.values(services)
      .flatMap((service) => Object.values(service.environment ?? {}))
      .flatMap((value) => referencesIn(String(value)))
      .filter((ref) => /PASSWORD|KEY/.test(ref.name));
    expect(new Set(secrets.map((ref) => ref.name))).toEqual(new Set(Object.keys(vars)));
    for (const secret of secrets) {
      expect(secret, secret.name).toMatchObject({ required: true, hasDefault: false });
      expect(header, secret.name).toMatch(new RegExp(`export .*\\b${secret.name}=`));
    }
    // Nothing else carries a password: every database URL's comes from a variable.
    expect(composeText).not.toMatch(/postgres:\/\/[^:\s]+:[^$\s]/);
  });
});

describe('the image', () => {
  const dockerfile = readFileSync('Dockerfile', 'utf8');
  const ignored = readFileSync('.dockerignore', 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  // Docker matches a folder pattern against the folder and everything under it.
  const isIgnored = (path: string) =>
    ignored.some((pattern) => matchesGlob(path, pattern) || matchesGlob(path, `${pattern}/**`));
  const copied = [...dockerfile.matchAll(/^COPY (.+) \S+$/gm)].flatMap(([, sources]) =>
    sources!.split(' ').flatMap(filesUnder),
  );
  const shipped = new Set(copied.filter((file) => !isIgnored(file)));

  it('builds from a Dockerfile whose command and copied paths exist', () => {
    const command = /CMD \[(.*)\]/.exec(dockerfile)?.[1];
    const entry = JSON.parse(`[${command}]`).at(-1) as string;
    expect(existsSync(entry)).toBe(true);
    for (const [, sources] of dockerfile.matchAll(/^COPY (.+) \S+$/gm)) {
      for (const source of sources!.split(' ')) expect(existsSync(source), source).toBe(true);
    }
    expect(dockerfile).toMatch(/FROM node:24/);
  });

  it("declares every component's port", () => {
    const exposed = /^EXPOSE (.+)$/m.exec(dockerfile)?.[1]?.split(' ').map(Number) ?? [];
    expect(exposed.sort()).toEqual(COMPONENTS.map((name) => portOf[name]).sort());
  });

  it('installs with the dependency patches applied: patches/ is copied before npm ci', () => {
    const lines = dockerfile.split('\n');
    const copiedAt = lines.findIndex((line) => /^COPY patches /.test(line));
    const installedAt = lines.findIndex((line) => /npm ci/.test(line));
    expect(copiedAt).toBeGreaterThanOrEqual(0);
    expect(copiedAt).toBeLessThan(installedAt);
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
      scripts: Record<string, string>;
      dependencies: Record<string, string>;
    };
    expect(pkg.scripts.postinstall).toBe('patch-package');
    // The image installs without devDependencies, and still runs postinstall.
    expect(pkg.dependencies['patch-package']).toBeDefined();
  });

  it('ships no test code: .dockerignore drops every test file the COPY lines reach', () => {
    expect(shipped.size).toBeGreaterThan(0);
    expect([...shipped].filter((file) => /\.test\.ts$|^test\//.test(file))).toEqual([]);
    expect(copied.some((file) => file.endsWith('.test.ts'))).toBe(true);
  });

  it('ships every file what it runs imports: the CMD, each component and every npm script but dev tools', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
      scripts: Record<string, string>;
    };
    const entries = Object.values(pkg.scripts)
      .flatMap((script) => [...(/\bnode (?:--\S+ )*(\S+\.ts)\b/.exec(script)?.slice(1) ?? [])])
      .filter((entry) => !/^(bench|tools)\//.test(entry));
    expect(entries).toContain('src/main.ts');
    expect(entries).toContain('src/cli/admin-create.ts');
    const missing = importGraph(entries).filter((file) => !shipped.has(file));
    expect(missing).toEqual([]);
  });

  it("ships every component's migrations", () => {
    for (const folder of [
      MONOLITH_MIGRATIONS,
      USERS_SERVICE_MIGRATIONS,
      PAYMENTS_SERVICE_MIGRATIONS,
      FACADE_MIGRATIONS,
    ]) {
      const files = filesUnder(relative(process.cwd(), folder));
      expect(
        files.some((file) => file.endsWith('.sql')),
        folder,
      ).toBe(true);
      expect(
        files.some((file) => file.endsWith('meta/_journal.json')),
        folder,
      ).toBe(true);
      expect(
        files.filter((file) => !shipped.has(file)),
        folder,
      ).toEqual([]);
    }
  });
});

function filesUnder(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { recursive: true, encoding: 'utf8' })
    .map((entry) => join(path, entry))
    .filter((entry) => statSync(entry).isFile());
}

/**
 * Every repository file reachable from `entries` through relative imports (static, dynamic,
 * re-exports) and `new URL('<relative>', import.meta.url)` references (folders in full).
 */
function importGraph(entries: string[]): string[] {
  const seen = new Set<string>();
  const pending = [...entries];
  const specifiers =
    /(?:\bfrom\s*|\bimport\s*\(?\s*)'(\.{1,2}\/[^']+)'|new URL\('(\.{1,2}\/[^']*)', import\.meta\.url\)/g;
  while (pending.length > 0) {
    const file = normalize(pending.pop()!);
    if (seen.has(file)) continue;
    seen.add(file);
    if (!file.endsWith('.ts')) continue;
    for (const [, imported, referenced] of readFileSync(file, 'utf8').matchAll(specifiers)) {
      const target = normalize(join(dirname(file), (imported ?? referenced)!));
      pending.push(...(existsSync(target) ? filesUnder(target) : [target]));
    }
  }
  return [...seen].sort();
}
