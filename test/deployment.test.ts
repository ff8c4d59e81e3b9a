import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, matchesGlob } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadMonolithConfig } from '../src/monolith-config.ts';
import { generatePrivateJwk } from '../src/platform/auth/jwk.ts';

// No Docker engine runs tests here, so this checks what docker-compose.yml implies instead.
type PortMapping =
  | string
  | number
  | { target: number; published?: string | number; host_ip?: string };
interface ComposeService {
  build?: string;
  image?: string;
  restart?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: PortMapping[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}
const composeText = readFileSync('docker-compose.yml', 'utf8');
const compose = parse(composeText) as {
  name?: string;
  version?: string;
  services: Record<string, ComposeService>;
};
const services = compose.services;

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

/** Resolves `${VAR:?msg}` and `${VAR:-default}` as compose would, with the given variables. */
function interpolate(value: string, vars: Record<string, string>): string {
  return value.replace(
    /\$\{(\w+)(?::[?-]([^}]*))?\}/g,
    (_, name: string, fallback = '') => vars[name] ?? fallback,
  );
}

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

  it('pins no host port on the monolith, so it scales; what it publishes stays on loopback', () => {
    const ports = services.monolith?.ports ?? [];
    expect(ports.map(fixedHostPort)).toEqual(ports.map(() => undefined));
    expect(ports).toEqual([{ target: 3001, host_ip: '127.0.0.1', protocol: 'tcp' }]);
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

  it('configures Redis for queues: never evict keys', () => {
    expect(services.redis?.command).toEqual(
      expect.arrayContaining(['--maxmemory-policy', 'noeviction']),
    );
  });

  it("gives the monolith a production environment its config accepts, pointing at compose's services", () => {
    const monolith = services.monolith!;
    const env = Object.fromEntries(
      Object.entries(monolith.environment ?? {}).map(([key, value]) => [
        key,
        interpolate(String(value), {
          USERS_SIGNING_KEYS: JSON.stringify([generatePrivateJwk()]),
          MONOLITH_SERVICE_SIGNING_KEY: JSON.stringify(generatePrivateJwk()),
        }),
      ]),
    );
    const config = loadMonolithConfig(env);
    expect(config.NODE_ENV).toBe('production');
    expect(new URL(config.DATABASE_URL!).hostname).toBe('postgres');
    expect(new URL(config.REDIS_URL!).hostname).toBe('redis');
    expect(config.SEED_DEMO_DATA).toBe(false);
    expect(monolith.ports?.map(containerPort)).toEqual([config.MONOLITH_PORT]);
    expect(monolith.healthcheck?.test.join(' ')).toContain(
      `127.0.0.1:${config.MONOLITH_PORT}/health/ready`,
    );
    const postgresEnv = services.postgres!.environment!;
    expect(new URL(config.DATABASE_URL!).pathname).toBe(`/${postgresEnv.POSTGRES_DB}`);
    expect(decodeURIComponent(new URL(config.DATABASE_URL!).username)).toBe(
      postgresEnv.POSTGRES_USER,
    );
  });

  it('builds from a Dockerfile whose command and copied paths exist', () => {
    expect(services.monolith?.build).toBe('.');
    const dockerfile = readFileSync('Dockerfile', 'utf8');
    const command = /CMD \[(.*)\]/.exec(dockerfile)?.[1];
    const entry = JSON.parse(`[${command}]`).at(-1) as string;
    expect(existsSync(entry)).toBe(true);
    for (const [, sources] of dockerfile.matchAll(/^COPY (.+) \S+$/gm)) {
      for (const source of sources!.split(' ')) expect(existsSync(source), source).toBe(true);
    }
    expect(dockerfile).toMatch(/FROM node:24/);
  });

  it('installs with the dependency patches applied: patches/ is copied before npm ci', () => {
    const lines = readFileSync('Dockerfile', 'utf8').split('\n');
    const copied = lines.findIndex((line) => /^COPY patches /.test(line));
    const installed = lines.findIndex((line) => /npm ci/.test(line));
    expect(copied).toBeGreaterThanOrEqual(0);
    expect(copied).toBeLessThan(installed);
    const scripts = JSON.parse(readFileSync('package.json', 'utf8')) as {
      scripts: Record<string, string>;
      dependencies: Record<string, string>;
    };
    expect(scripts.scripts.postinstall).toBe('patch-package');
    // The image installs without devDependencies, and still runs postinstall.
    expect(scripts.dependencies['patch-package']).toBeDefined();
  });

  it('ships no test code in the image: .dockerignore drops every test file the COPY lines reach', () => {
    const ignored = readFileSync('.dockerignore', 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'));
    // Docker matches a folder pattern against the folder and everything under it.
    const isIgnored = (path: string) =>
      ignored.some((pattern) => matchesGlob(path, pattern) || matchesGlob(path, `${pattern}/**`));
    const dockerfile = readFileSync('Dockerfile', 'utf8');
    const copied = [...dockerfile.matchAll(/^COPY (.+) \S+$/gm)].flatMap(([, sources]) =>
      sources!.split(' ').flatMap(filesUnder),
    );
    const shipped = copied.filter((file) => !isIgnored(file));
    expect(shipped.length).toBeGreaterThan(0);
    expect(shipped.filter((file) => /\.test\.ts$|^test\//.test(file))).toEqual([]);
    expect(copied.some((file) => file.endsWith('.test.ts'))).toBe(true);
  });
});

function filesUnder(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { recursive: true, encoding: 'utf8' })
    .map((entry) => join(path, entry))
    .filter((entry) => statSync(entry).isFile());
}
