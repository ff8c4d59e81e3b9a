import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchOpenApi, operationsOf } from '../../test/e2e/openapi-operations.ts';
import {
  type Environment,
  prepareEnvironment,
  type Running,
  runMonolith,
} from '../../test/e2e/running-monolith.ts';
import { matchRoute } from './match.ts';
import { routeTable } from './route-table.ts';

// The table against the monolith's served /openapi.json: every documented operation has its
// entry (one whose pattern is the operation's path), and every entry serves some operation.

let environment: Environment;
let running: Running;
let operations: { method: string; path: string }[];

beforeAll(async () => {
  environment = await prepareEnvironment('embedded', 'route_table');
  running = await runMonolith(environment, { SEED_DEMO_DATA: 'false' });
  operations = operationsOf(await fetchOpenApi(running.monolith.url));
});
afterAll(async () => {
  await running?.monolith.stop();
  await environment?.cleanup();
});

/** A concrete path for a documented one: each `{param}` filled with a sample value. */
const concrete = (path: string) => path.replace(/\{[^}]+\}/g, 'sample-value');

describe('the route table', () => {
  it('reads a document with operations', () => {
    expect(operations.length).toBeGreaterThan(30);
  });

  it('has an entry for every operation of the monolith, by its documented path', () => {
    const missing = operations
      .filter(
        (op) =>
          !routeTable.some((e) => e.path === op.path && e.methods.includes(op.method as 'GET')),
      )
      .map((op) => `${op.method} ${op.path}`);
    expect(missing).toEqual([]);
  });

  it('routes each operation, called on a concrete path, to its own entry', () => {
    const misrouted = operations
      .map((op) => ({ op, entry: matchRoute(routeTable, op.method, concrete(op.path))?.entry }))
      .filter(({ op, entry }) => entry?.path !== op.path)
      .map(({ op, entry }) => `${op.method} ${op.path} → ${entry?.id}`);
    expect(misrouted).toEqual([]);
  });

  it('has no entry that matches no operation', () => {
    const documented = new Set(operations.map((op) => `${op.method} ${op.path}`));
    const idle = routeTable
      .flatMap((e) => e.methods.map((method) => ({ id: e.id, label: `${method} ${e.path}` })))
      .filter(({ label }) => !documented.has(label))
      .map(({ id, label }) => `${id}: ${label}`);
    expect(idle).toEqual([]);
  });
});
