import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { generatePrivateJwk } from '../../src/platform/auth/jwk.ts';

// docker-compose.yml as Compose reads it (merge keys included), for tests that check what it
// implies: no Docker engine runs them.

export type PortMapping =
  | string
  | number
  | { target: number; published?: string | number; host_ip?: string; protocol?: string };

export interface ComposeService {
  build?: string;
  image?: string;
  restart?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: PortMapping[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  deploy?: { replicas?: number };
  container_name?: string;
  healthcheck?: { test: string[] };
  stop_grace_period?: string;
}

export const composeText = readFileSync('docker-compose.yml', 'utf8');
export const compose = parse(composeText, { merge: true }) as {
  name?: string;
  version?: string;
  services: Record<string, ComposeService>;
};
export const services = compose.services;

const reference = /\$\{(\w+)(?:(:[?-])([^}]*))?\}/g;

/**
 * Resolves `${VAR}`, `${VAR:-default}` and `${VAR:?message}` as Compose does; a required
 * variable that is missing fails as `docker compose up` would.
 */
export function interpolate(value: string, vars: Record<string, string>): string {
  return value.replace(reference, (_, name: string, operator?: string, rest = '') => {
    const given = vars[name];
    if (given) return given;
    if (operator === ':?') throw new Error(`required variable ${name} is missing: ${rest}`);
    return operator === ':-' ? rest : '';
  });
}

/** Every `${...}` reference in a text: the variable, and how it is used. */
export function referencesIn(value: string) {
  return [...value.matchAll(reference)].map(([, name, operator]) => ({
    name: name!,
    required: operator === ':?',
    hasDefault: operator === ':-',
  }));
}

/** A service's environment with its `${...}` resolved from `vars`. */
export function environmentOf(service: string, vars: Record<string, string>) {
  return Object.fromEntries(
    Object.entries(services[service]?.environment ?? {}).map(([key, value]) => [
      key,
      interpolate(String(value), vars),
    ]),
  );
}

/**
 * What an operator exports before `docker compose up`: fresh keys, and passwords with quotes and
 * a backslash in them (the init script must take them as data), yet URL-safe (they go into URLs).
 */
export function operatorVariables(): Record<string, string> {
  const password = (label: string) => `${label}'q"u\\o${Math.random().toString(36).slice(2)}`;
  return {
    USERS_SIGNING_KEYS: JSON.stringify([generatePrivateJwk()]),
    MONOLITH_SERVICE_SIGNING_KEY: JSON.stringify(generatePrivateJwk()),
    FACADE_SERVICE_SIGNING_KEY: JSON.stringify(generatePrivateJwk()),
    POSTGRES_PASSWORD: password('super'),
    MONOLITH_DB_PASSWORD: password('monolith'),
    USERS_SERVICE_DB_PASSWORD: password('users'),
    PAYMENTS_SERVICE_DB_PASSWORD: password('payments'),
    FACADE_DB_PASSWORD: password('facade'),
  };
}
