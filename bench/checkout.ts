import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { type EventLoopUtilization, performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { generatePrivateJwk, publicJwkOf } from '../src/platform/auth/jwk.ts';
import type { ComponentThreadData } from './component-thread.ts';
import { benchLeftovers, databaseUrl as databaseUrlOf } from './leftovers.ts';
import { HTTP_BENCH, runLoad } from './paired-runs.ts';
import { checkExtractedPayments, type PaymentsCheck } from './payments-check.ts';
import { processCpuMs } from './process-cpu.ts';

// `npm run bench:checkout`: concurrent checkouts on PostgreSQL + Redis for a fixed time, next
// to pgbench's TPC-B tps on the same server in the same run. Prints numbers; asserts nothing.
// The monolith runs as BENCH_REPLICAS replicas (default 1) sharing the database and Redis, each
// on its own thread; this thread only drives the load, so it does not eat into a replica's loop.
// BENCH_PAYMENTS picks the topology: the legacy payments module in the monolith, payments-service
// (its own thread and database) called over HTTP by the saga, or both, one after the other.

const POSTGRES_URL =
  process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
// Checkouts before the measured run, not counted: the figures are of code the JIT has compiled.
const WARMUP_SECONDS = HTTP_BENCH.warmupSeconds;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const REPLICAS = Number(process.env.BENCH_REPLICAS ?? 1);
const TOPOLOGIES = ['monolith', 'extracted'] as const;
type Topology = (typeof TOPOLOGIES)[number];
const PAYMENTS = process.env.BENCH_PAYMENTS ?? 'both';
if (PAYMENTS !== 'both' && !TOPOLOGIES.includes(PAYMENTS as Topology)) {
  throw new Error(`BENCH_PAYMENTS must be monolith, extracted or both: ${PAYMENTS}`);
}
const topologies: Topology[] = PAYMENTS === 'both' ? [...TOPOLOGIES] : [PAYMENTS as Topology];
// Unique per run unless given, so two runs (or a run and the tests) never share state.
const tag = randomUUID().slice(0, 8);
const CHECKOUT_DATABASE = process.env.BENCH_DATABASE ?? `bench_checkout_${tag}`;
const PGBENCH_DATABASE = process.env.BENCH_PGBENCH_DATABASE ?? `bench_pgbench_${tag}`;
const PAYMENTS_DATABASE = process.env.BENCH_PAYMENTS_DATABASE ?? `bench_payments_${tag}`;
const REDIS_PREFIX = process.env.BENCH_REDIS_PREFIX ?? `bench_${tag}`;
for (const [name, value] of [
  ['BENCH_DATABASE', CHECKOUT_DATABASE],
  ['BENCH_PGBENCH_DATABASE', PGBENCH_DATABASE],
  ['BENCH_PAYMENTS_DATABASE', PAYMENTS_DATABASE],
  ['BENCH_REDIS_PREFIX', REDIS_PREFIX],
]) {
  // Used in SQL identifiers and a Redis match pattern: plain names only.
  if (!/^[A-Za-z0-9_.-]+$/.test(value!)) throw new Error(`${name} must be a plain name: ${value}`);
}
const USERS = 50;
/** The local servers whose CPU per order the bench reports (when it can read /proc). */
const SERVER_PROCESSES = ['postgres', 'redis-server'];
const PRODUCTS = 20;
// Keys made for this run and handed to every replica, so they all sign alike and none writes a
// key file into DATA_DIR; payments-service trusts the public half of the service key.
const USERS_SIGNING_KEYS = JSON.stringify([generatePrivateJwk()]);
const serviceKey = generatePrivateJwk();

const leftovers = benchLeftovers("the bench's databases and Redis keys");
const { forget, cleanUp } = leftovers;
const databaseUrl = (name: string) => databaseUrlOf(POSTGRES_URL, name);

async function dropDatabase(name: string) {
  const admin = postgres(POSTGRES_URL, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
  } finally {
    await admin.end();
  }
}

async function withDatabase<T>(name: string, run: (url: string) => Promise<T>): Promise<T> {
  const admin = postgres(POSTGRES_URL, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const drop = () => dropDatabase(name);
  leftovers.add(drop);
  try {
    return await run(databaseUrl(name));
  } finally {
    forget(drop);
    await drop();
  }
}

/** Deletes every key under the prefix (the replicas' queues, jobs and subscriber sets). */
async function deleteRedisKeys(prefix: string): Promise<number> {
  const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length > 0) deleted += await client.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
  return deleted;
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** How much a component's thread has worked so far. */
interface ThreadLoad {
  /** Event-loop utilisation (active and idle ms). */
  load: EventLoopUtilization;
  /** The thread's CPU time (µs). */
  cpu: NodeJS.CpuUsage;
}

/** A component on its own thread: a monolith replica or payments-service. */
interface ComponentThread {
  url: string;
  load(): Promise<ThreadLoad>;
  stop(): Promise<void>;
}

function startThread<D extends ComponentThreadData>(
  file: string,
  data: D,
): Promise<ComponentThread> {
  const worker = new Worker(new URL(file, import.meta.url), { workerData: data });
  // On Ctrl-C the threads go first (replicas before the service they call), so none writes to
  // Redis or a database after it is removed.
  const terminate = async () => {
    await worker.terminate();
  };
  leftovers.add(terminate);
  worker.once('exit', () => forget(terminate));
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', ({ url }: { url: string }) =>
      resolve({
        url,
        load: () =>
          new Promise<ThreadLoad>((answered) => {
            worker.once('message', (load: ThreadLoad) => answered(load));
            worker.postMessage('load');
          }),
        stop: () =>
          new Promise<void>((stopped) => {
            worker.once('message', () => worker.terminate().then(() => stopped()));
            worker.postMessage('stop');
          }),
      }),
    );
  });
}

const busyMsSince = (after: ThreadLoad[], before: ThreadLoad[]) =>
  after.reduce(
    (sum, { load }, i) => sum + performance.eventLoopUtilization(load, before[i]!.load).active,
    0,
  );
const cpuMsSince = (after: ThreadLoad[], before: ThreadLoad[]) =>
  after.reduce(
    (sum, { cpu }, i) =>
      sum + (cpu.user - before[i]!.cpu.user + cpu.system - before[i]!.cpu.system) / 1000,
    0,
  );

/** A component's statements and transactions so far, from its /metrics (PostgreSQL counts them). */
async function databaseActivity(url: string) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const counter = (name: string) =>
    Number(new RegExp(`^${name}\\{[^}]*\\} (\\d+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  return {
    statements: counter('db_statements_total'),
    transactions: counter('db_transactions_total'),
  };
}
type Activity = Awaited<ReturnType<typeof databaseActivity>>;
const activitySince = (after: Activity[], before: Activity[]): Activity => ({
  statements: after.reduce((sum, a, i) => sum + a.statements - before[i]!.statements, 0),
  transactions: after.reduce((sum, a, i) => sum + a.transactions - before[i]!.transactions, 0),
});

const commonEnv = {
  REDIS_URL,
  REDIS_PREFIX,
  HOST: '127.0.0.1',
  LOG_LEVEL: 'silent',
};

/** payments-service on its own thread and database, for the replicas to capture through. */
function startPaymentsService(databaseUrl: string): Promise<ComponentThread> {
  return startThread('./payments-service.ts', {
    env: { ...commonEnv, PAYMENTS_SERVICE_DATABASE_URL: databaseUrl, PAYMENTS_SERVICE_PORT: '0' },
    extracted: true,
    monolithKey: publicJwkOf(serviceKey),
  });
}

/** Checkouts for SECONDS on fresh databases; with `paymentsUrl`, payments-service takes them. */
async function benchCheckout(url: string, paymentsUrl?: string) {
  const service = paymentsUrl ? await startPaymentsService(paymentsUrl) : undefined;
  const env = {
    ...commonEnv,
    DATABASE_URL: url,
    MONOLITH_PORT: '0',
    SEED_DEMO_DATA: 'true',
    USERS_SIGNING_KEYS,
    SERVICE_SIGNING_KEY: JSON.stringify(serviceKey),
    ...(service && { PAYMENT_GATEWAY: 'http', PAYMENTS_SERVICE_URL: service.url }),
  };
  const replicas: ComponentThread[] = [];
  try {
    // The first replica migrates and seeds; the others start on the ready database.
    const data = { env, extracted: service !== undefined };
    while (replicas.length < REPLICAS) replicas.push(await startThread('./replica.ts', data));
    const base = replicas[0]!.url;
    const adminLogin = await post(`${base}/api/auth/login`, {
      login: 'admin',
      password: 'admin-password',
    });
    const admin = { authorization: `Bearer ${adminLogin.body.accessToken}` };
    const productIds: string[] = [];
    for (let i = 0; i < PRODUCTS; i++) {
      const created = await post(
        `${base}/api/products`,
        {
          sku: `BENCH-${tag}-${i}`,
          name: `Bench product ${i}`,
          description: 'benchmark stock',
          price: { amountMinor: 1_000 + i * 10, currency: 'EUR' },
          initialStock: 1_000_000,
        },
        admin,
      );
      productIds.push(created.body.id as string);
    }
    const tokens: string[] = [];
    for (let i = 0; i < USERS; i++) {
      const credentials = {
        username: `bench_${tag}_${i}`,
        email: `bench${i}-${tag}@example.com`,
        password: 'bench-password',
      };
      await post(`${base}/api/users`, credentials);
      const login = await post(`${base}/api/auth/login`, {
        login: credentials.username,
        password: credentials.password,
      });
      tokens.push(login.body.accessToken as string);
    }
    const urls = replicas.map((replica) => replica.url);
    const settings = { connections: CONCURRENCY, warmupSeconds: 0 };
    const load = { tokens, productIds };
    if (WARMUP_SECONDS > 0) await runLoad(urls, '/api/orders', WARMUP_SECONDS, settings, load);
    const loadBefore = await Promise.all(replicas.map((replica) => replica.load()));
    const serviceBefore = await service?.load();
    const activityBefore = await Promise.all(
      replicas.map((replica) => databaseActivity(replica.url)),
    );
    const serviceActivityBefore = service && (await databaseActivity(service.url));
    const serversBefore = processCpuMs(SERVER_PROCESSES);
    const cpuBefore = process.cpuUsage();
    // From a thread of its own, over keep-alive connections (undici): the load costs these
    // cores little next to the replicas it drives.
    const result = await runLoad(urls, '/api/orders', SECONDS, settings, load);
    const { confirmed, errors: failures, elapsedSeconds: elapsed } = result;
    const cpu = process.cpuUsage(cpuBefore);
    const serversAfter = processCpuMs(SERVER_PROCESSES);
    const loadAfter = await Promise.all(replicas.map((replica) => replica.load()));
    const serviceAfter = await service?.load();
    const activityAfter = await Promise.all(
      replicas.map((replica) => databaseActivity(replica.url)),
    );
    const serviceActivityAfter = service && (await databaseActivity(service.url));
    const perOrder = (ms: number) => ms / Math.max(confirmed, 1);
    const perActivity = (activity: Activity): Activity => ({
      statements: perOrder(activity.statements),
      transactions: perOrder(activity.transactions),
    });
    return {
      ordersPerSecond: confirmed / elapsed,
      p50: result.p50Ms,
      p99: result.p99Ms,
      confirmed,
      failures,
      elapsed,
      // Busy time of the replicas' event loops per confirmed order: the monolith's own CPU cost
      // of one checkout, steadier from run to run than orders/s on a shared machine.
      busyMsPerOrder: perOrder(busyMsSince(loadAfter, loadBefore)),
      serviceBusyMsPerOrder:
        serviceBefore && serviceAfter ? perOrder(busyMsSince([serviceAfter], [serviceBefore])) : 0,
      // The replicas' threads' own CPU per order (and payments-service's): the monolith's cost.
      replicaCpuMsPerOrder: perOrder(cpuMsSince(loadAfter, loadBefore)),
      serviceCpuMsPerOrder:
        serviceBefore && serviceAfter ? perOrder(cpuMsSince([serviceAfter], [serviceBefore])) : 0,
      // What one order asks of the databases; events still in flight at the end count too.
      activityPerOrder: perActivity(activitySince(activityAfter, activityBefore)),
      serviceActivityPerOrder:
        serviceActivityBefore && serviceActivityAfter
          ? perActivity(activitySince([serviceActivityAfter], [serviceActivityBefore]))
          : undefined,
      // CPU per confirmed order: this process (replicas, service and the load) and the servers.
      nodeCpuMsPerOrder: perOrder((cpu.user + cpu.system) / 1000),
      serverCpuMsPerOrder: SERVER_PROCESSES.map(
        (name) =>
          [name, perOrder((serversAfter.get(name) ?? 0) - (serversBefore.get(name) ?? 0))] as const,
      ),
    };
  } finally {
    // The replicas first: they call the service until they stop.
    await Promise.all(replicas.map((replica) => replica.stop()));
    await service?.stop();
  }
}

type Figures = Awaited<ReturnType<typeof benchCheckout>> & { check?: PaymentsCheck };

/**
 * One topology on fresh databases (each made for it and dropped after) and a clean Redis
 * prefix (its keys deleted after), so the second run of `both` inherits nothing of the first.
 */
async function benchTopology(topology: Topology): Promise<Figures> {
  process.stdout.write(`bench: ${topology} topology for ${SECONDS} s\n`);
  const removeKeys = async () => {
    const deleted = await deleteRedisKeys(REDIS_PREFIX);
    process.stdout.write(`bench: removed ${deleted} Redis keys under ${REDIS_PREFIX}:\n`);
  };
  leftovers.add(removeKeys);
  try {
    return await withDatabase(CHECKOUT_DATABASE, (url) =>
      topology === 'monolith'
        ? benchCheckout(url)
        : withDatabase(PAYMENTS_DATABASE, async (paymentsUrl) => {
            const figures = await benchCheckout(url, paymentsUrl);
            // Every component has stopped: nothing is in flight while both databases are read.
            return { ...figures, check: await checkExtractedPayments(url, paymentsUrl) };
          }),
    );
  } finally {
    forget(removeKeys);
    await removeKeys();
  }
}

function pgbench(url: string): number {
  const run = (args: string[]) => {
    const result = spawnSync('pgbench', [...args, url], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`pgbench ${args.join(' ')} failed:\n${result.stderr}`);
    return result.stdout;
  };
  run(['-i', '-q', '-s', '10']);
  const out = run(['-c', '8', '-j', '2', '-T', String(SECONDS), '-n']);
  const tps = /tps = ([\d.]+)/.exec(out)?.[1];
  if (!tps) throw new Error(`no tps in pgbench output:\n${out}`);
  return Number(tps);
}

/** Rows of a label and one value per topology, the columns padded to line up. */
function table(header: string[], rows: string[][]): string[] {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)));
  return all.map((row) =>
    row
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

process.stdout.write(
  `bench: databases ${CHECKOUT_DATABASE}${topologies.includes('extracted') ? `, ${PAYMENTS_DATABASE}` : ''}, ${PGBENCH_DATABASE}; Redis prefix ${REDIS_PREFIX}:\n`,
);
const figures = new Map<Topology, Figures>();
let tps: number;
try {
  for (const topology of topologies) figures.set(topology, await benchTopology(topology));
  tps = await withDatabase(PGBENCH_DATABASE, async (url) => pgbench(url));
} finally {
  await cleanUp();
}
/** Orders/s as a share of pgbench's tps in the same run, per topology (issue: hot paths). */
const RATIO_GOALS: Record<Topology, number> = { monolith: 0.05, extracted: 0.04 };
const cores = availableParallelism();
const runs = topologies.map((topology) => figures.get(topology)!);
const serverMs = (run: Figures) => run.serverCpuMsPerOrder.reduce((sum, [, ms]) => sum + ms, 0);
const ms = (value: number) => value.toFixed(2);
const lines = [
  `checkout: ${SECONDS} s per topology after a ${WARMUP_SECONDS} s warm-up, concurrency ${CONCURRENCY}, ${REPLICAS} replica(s), ${cores} cores`,
  ...table(
    ['', ...topologies],
    [
      ['orders/s', ...runs.map((run) => run.ordersPerSecond.toFixed(1))],
      ['p50 ms', ...runs.map((run) => run.p50.toFixed(1))],
      ['p99 ms', ...runs.map((run) => run.p99.toFixed(1))],
      ['confirmed', ...runs.map((run) => String(run.confirmed))],
      ['failures', ...runs.map((run) => String(run.failures))],
      ['ratio to pgbench', ...runs.map((run) => (run.ordersPerSecond / tps).toFixed(4))],
      [
        'goal (ratio)',
        ...topologies.map((topology, i) => {
          const goal = RATIO_GOALS[topology];
          return `>= ${goal}: ${runs[i]!.ordersPerSecond / tps >= goal ? 'met' : 'NOT met'}`;
        }),
      ],
      ['event loop ms/order: replicas', ...runs.map((run) => ms(run.busyMsPerOrder))],
      ...(topologies.includes('extracted')
        ? [
            [
              '                     payments-service',
              ...runs.map((run) => (run.check ? ms(run.serviceBusyMsPerOrder) : '-')),
            ],
          ]
        : []),
      ['CPU ms/order: monolith (replicas)', ...runs.map((run) => ms(run.replicaCpuMsPerOrder))],
      ...(topologies.includes('extracted')
        ? [
            [
              '              payments-service',
              ...runs.map((run) => (run.check ? ms(run.serviceCpuMsPerOrder) : '-')),
            ],
          ]
        : []),
      ['              node (all threads)', ...runs.map((run) => ms(run.nodeCpuMsPerOrder))],
      ...SERVER_PROCESSES.map((name, i) => [
        `              ${name}`,
        ...runs.map((run) => ms(run.serverCpuMsPerOrder[i]![1])),
      ]),
      [
        'goal: monolith CPU <= postgres',
        ...runs.map((run) =>
          run.replicaCpuMsPerOrder <= (run.serverCpuMsPerOrder[0]?.[1] ?? 0) ? 'met' : 'NOT met',
        ),
      ],
      [
        'per order: statements, monolith',
        ...runs.map((run) => run.activityPerOrder.statements.toFixed(1)),
      ],
      [
        '           transactions, monolith',
        ...runs.map((run) => run.activityPerOrder.transactions.toFixed(1)),
      ],
      ...(topologies.includes('extracted')
        ? [
            [
              '           statements, payments-service',
              ...runs.map((run) => run.serviceActivityPerOrder?.statements.toFixed(1) ?? '-'),
            ],
            [
              '           transactions, payments-service',
              ...runs.map((run) => run.serviceActivityPerOrder?.transactions.toFixed(1) ?? '-'),
            ],
          ]
        : []),
      ...(runs.some((run) => serverMs(run) > 0)
        ? [
            [
              'servers alone cap orders/s at',
              ...runs.map((run) => ((cores * 1000) / serverMs(run)).toFixed(0)),
            ],
            // The most CPU an order may take, everything on this machine counted, for the
            // goal's orders/s to fit on these cores at full use; next to what it took.
            [
              'CPU ms/order the goal allows',
              ...topologies.map((topology) => ms((cores * 1000) / (RATIO_GOALS[topology] * tps))),
            ],
            [
              'CPU ms/order taken (node + servers)',
              ...runs.map((run) => ms(run.nodeCpuMsPerOrder + serverMs(run))),
            ],
          ]
        : []),
    ],
  ),
  `pgbench:  ${tps.toFixed(0)} tps (TPC-B, 8 clients, scale 10, same server)`,
];
const monolith = figures.get('monolith');
const extracted = figures.get('extracted');
if (monolith && extracted) {
  const more = (value: number) => `${value >= 0 ? '+' : ''}${ms(value)}`;
  lines.push(
    `HTTP hop per order (extracted - monolith): node CPU ${more(extracted.nodeCpuMsPerOrder - monolith.nodeCpuMsPerOrder)} ms, ` +
      SERVER_PROCESSES.map(
        (name, i) =>
          `${name} ${more(extracted.serverCpuMsPerOrder[i]![1] - monolith.serverCpuMsPerOrder[i]![1])} ms`,
      ).join(', ') +
      `, p50 ${more(extracted.p50 - monolith.p50)} ms`,
  );
}
const check = extracted?.check;
if (check) {
  lines.push(
    `check:    ${check.confirmedOrders} confirmed orders, ${check.capturedOnce} with exactly one captured payment in payments-service, ${check.legacyPayments} captured by the legacy module itself (${check.capturedNotConfirmed} captured for an order not confirmed): ${check.ok ? 'ok' : 'FAILED'}`,
  );
}
process.stdout.write(`${lines.join('\n')}\n`);
process.exit(check && !check.ok ? 1 : 0);
