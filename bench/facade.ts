import { randomUUID } from 'node:crypto';
import { availableParallelism, cpus } from 'node:os';
import { Worker } from 'node:worker_threads';
import { benchLeftovers, scratchSpace } from './leftovers.ts';
import type { CheckoutLoad } from './load-thread.ts';
import {
  HTTP_BENCH,
  MEASURED_COLUMNS,
  measure,
  measuredRow,
  pair,
  table,
  verdict,
  writeResults,
} from './paired-runs.ts';
import { checkExtractedPayments } from './payments-check.ts';

// `npm run bench:facade`: what the routing facade costs in front of its upstreams. Prints a
// table and writes it as JSON under bench/results/; asserts nothing.
// (a) an unmatched GET forwarded over the network to a trivial upstream, through the facade vs
//     through a bare node:http + undici Pool proxy (the baseline), each server on its own thread;
// (b) the single-process run (every component on one thread, the facade serving legacy routes
//     in-process): GET /api/products/{id} through the facade vs the monolith directly;
// (c) in that run, checkouts through the facade once payments.write.capture is toggled to
//     extracted (forced past the parity gate: no shadow traffic ran), so the saga captures in
//     payments-service; then each confirmed order is checked to hold exactly one capture there.
// (a) and (b) each run their two targets in the order A B B A, half of BENCH_SECONDS per run, so
// a shared machine's drift during the pair favours neither. The load runs on a thread of its own
// (undici Pool, keep-alive connections). Rate limits are set out of reach and the catalog cache
// off (CATALOG_CACHE_TTL_MS=0): else (b) measures the cache.

const {
  postgresUrl: POSTGRES_URL,
  seconds: SECONDS,
  warmupSeconds: WARMUP_SECONDS,
  connections: CONNECTIONS,
} = HTTP_BENCH;
const tag = randomUUID().slice(0, 8);
/** An unmatched public GET: no route entry, so the facade forwards it to the monolith as is. */
const UNMATCHED_PATH = '/api/products/bench/unmatched';

const leftovers = benchLeftovers("the bench's databases");
const { forget, cleanUp } = leftovers;

const scratch = scratchSpace(leftovers, POSTGRES_URL, `bench_facade_${tag}`);
const createDatabase = scratch.database;
const createDataDir = scratch.directory;

/** A server on its own thread (its own event loop), as a separate process would run it. */
interface ServerThread {
  url: string;
  urls: Record<string, string>;
  /** The thread's CPU time so far (µs). */
  cpu(): Promise<NodeJS.CpuUsage>;
  stop(): Promise<void>;
}

function startThread(file: string, data: unknown): Promise<ServerThread> {
  const worker = new Worker(new URL(file, import.meta.url), { workerData: data });
  const terminate = async () => {
    await worker.terminate();
  };
  leftovers.add(terminate);
  worker.once('exit', () => forget(terminate));
  // Once: a second stop (a finally after a stop) must not wait on a thread that has gone.
  let stopping: Promise<void> | undefined;
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', ({ url, urls }: { url: string; urls: Record<string, string> }) =>
      resolve({
        url,
        urls,
        cpu: () =>
          new Promise((answered) => {
            worker.once('message', ({ cpu }: { cpu: NodeJS.CpuUsage }) => answered(cpu));
            worker.postMessage('load');
          }),
        stop: () =>
          (stopping ??= new Promise((stopped) => {
            worker.once('message', () => worker.terminate().then(() => stopped()));
            worker.postMessage('stop');
          })),
      }),
    );
  });
}

const settings = { connections: CONNECTIONS, warmupSeconds: WARMUP_SECONDS };
const cpuOf = (server: ServerThread) => async () => {
  const { user, system } = await server.cpu();
  return user + system;
};

const commonEnv = {
  HOST: '127.0.0.1',
  LOG_LEVEL: 'silent',
  RATE_LIMIT_PER_MINUTE: '1000000',
  RATE_LIMIT_LOGIN_PER_MINUTE: '1000000',
  CATALOG_CACHE_TTL_MS: '0',
};

async function benchForwarding() {
  const upstream = await startThread('./trivial-upstream.ts', {});
  const baseline = await startThread('./baseline-proxy.ts', {
    upstreamUrl: upstream.url,
    connections: CONNECTIONS,
  });
  const facade = await startThread('./facade-thread.ts', {
    env: {
      ...commonEnv,
      FACADE_PORT: '0',
      FACADE_DATABASE_URL: await createDatabase('a'),
      FACADE_MONOLITH_URLS: upstream.url,
      DATA_DIR: await createDataDir(),
    },
  });
  try {
    const [direct, viaFacade] = await pair(
      {
        label: `(a) baseline proxy, ${UNMATCHED_PATH}`,
        load: (seconds) =>
          measure(cpuOf(baseline), baseline.url, UNMATCHED_PATH, { ...settings, seconds }),
      },
      {
        label: `(a) facade, ${UNMATCHED_PATH}`,
        load: (seconds) =>
          measure(cpuOf(facade), facade.url, UNMATCHED_PATH, { ...settings, seconds }),
      },
      SECONDS,
    );
    return { baseline: direct, facade: viaFacade };
  } finally {
    await facade.stop();
    await baseline.stop();
    await upstream.stop();
  }
}

async function benchSingleProcess() {
  const [monolith, users, payments, facade] = await Promise.all(
    ['mono', 'users', 'pay', 'facade'].map(createDatabase),
  );
  const system = await startThread('./system-thread.ts', {
    env: {
      ...commonEnv,
      DATA_DIR: await createDataDir(),
      FACADE_PORT: '0',
      MONOLITH_PORT: '0',
      USERS_SERVICE_PORT: '0',
      PAYMENTS_SERVICE_PORT: '0',
      DATABASE_URL: monolith!,
      USERS_SERVICE_DATABASE_URL: users!,
      PAYMENTS_SERVICE_DATABASE_URL: payments!,
      FACADE_DATABASE_URL: facade!,
      SEED_DEMO_DATA: 'true',
    },
  });
  try {
    const monolithUrl = system.urls.monolith!;
    const listed = (await (await fetch(`${monolithUrl}/api/products?limit=1`)).json()) as {
      items?: Array<{ id: string }>;
    };
    const id = listed.items?.[0]?.id;
    if (!id) throw new Error(`no product to read: ${JSON.stringify(listed)}`);
    const path = `/api/products/${id}`;
    const [direct, viaFacade] = await pair(
      {
        label: `(b) monolith directly, ${path}`,
        load: (seconds) => measure(cpuOf(system), monolithUrl, path, { ...settings, seconds }),
      },
      {
        label: `(b) facade (legacy in-process), ${path}`,
        load: (seconds) => measure(cpuOf(system), system.url, path, { ...settings, seconds }),
      },
      SECONDS,
    );
    const checkout = await prepareCheckout(system.url);
    process.stdout.write('bench: (c) checkout through the facade, payments extracted\n');
    const checkouts = await measure(cpuOf(system), system.url, '/api/orders', {
      ...settings,
      seconds: SECONDS,
      checkout,
    });
    await system.stop();
    // Every component has stopped: nothing is in flight while both databases are read.
    const check = await checkExtractedPayments(monolith!, payments!);
    return { path, monolith: direct, facade: viaFacade, checkout: { ...checkouts, check } };
  } finally {
    await system.stop();
  }
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const CHECKOUT_USERS = 20;
const CHECKOUT_PRODUCTS = 20;

/**
 * Users and stocked products made through the facade, and payments.write.capture toggled to
 * extracted at the facade (the monolith's payment seam reads that toggle, cached 1 s).
 */
async function prepareCheckout(facadeUrl: string): Promise<CheckoutLoad> {
  const login = async (name: string, password: string) => {
    const res = await post(`${facadeUrl}/api/auth/login`, { login: name, password });
    if (res.status !== 200)
      throw new Error(`login ${name}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.accessToken as string;
  };
  const admin = { authorization: `Bearer ${await login('admin', 'admin-password')}` };
  const productIds: string[] = [];
  for (let i = 0; i < CHECKOUT_PRODUCTS; i++) {
    const created = await post(
      `${facadeUrl}/api/products`,
      {
        sku: `BENCH-FACADE-${tag}-${i}`,
        name: `Bench product ${i}`,
        description: 'benchmark stock',
        price: { amountMinor: 1_000 + i * 10, currency: 'EUR' },
        initialStock: 1_000_000,
      },
      admin,
    );
    if (created.status !== 201)
      throw new Error(`product: ${created.status} ${JSON.stringify(created.body)}`);
    productIds.push(created.body.id as string);
  }
  const tokens: string[] = [];
  for (let i = 0; i < CHECKOUT_USERS; i++) {
    const username = `bench_facade_${tag}_${i}`;
    await post(`${facadeUrl}/api/users`, {
      username,
      email: `bench-facade-${i}-${tag}@example.com`,
      password: 'bench-password',
    });
    tokens.push(await login(username, 'bench-password'));
  }
  const toggled = await fetch(`${facadeUrl}/_facade/api/routes/payments.write.capture`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', ...admin },
    body: JSON.stringify({
      mode: 'extracted',
      reason: 'bench: checkout with payments extracted (no shadow traffic ran)',
      force: true,
    }),
  });
  if (toggled.status !== 200) {
    throw new Error(`toggle: ${toggled.status} ${await toggled.text()}`);
  }
  // Past the seam's 1 s cache, so no measured (or warm-up) checkout captures in-process.
  await new Promise((waited) => setTimeout(waited, 1_500));
  return { tokens, productIds };
}

let forwarding: Awaited<ReturnType<typeof benchForwarding>>;
let singleProcess: Awaited<ReturnType<typeof benchSingleProcess>>;
try {
  forwarding = await benchForwarding();
  singleProcess = await benchSingleProcess();
} finally {
  await cleanUp();
}
const forwardingRatio = forwarding.facade.requestsPerSecond / forwarding.baseline.requestsPerSecond;
const forwardingP99Ratio = forwarding.facade.p99Ms / forwarding.baseline.p99Ms;
const inProcessRatio =
  singleProcess.facade.requestsPerSecond / singleProcess.monolith.requestsPerSecond;
const goals = {
  forwardingRequestsPerSecond: { ratio: forwardingRatio, goal: 0.9, met: forwardingRatio >= 0.9 },
  forwardingP99: { ratio: forwardingP99Ratio, goal: 1.5, met: forwardingP99Ratio <= 1.5 },
  inProcessRequestsPerSecond: { ratio: inProcessRatio, goal: 0.8, met: inProcessRatio >= 0.8 },
};
const { checkout } = singleProcess;
const ordersPerSecond = checkout.confirmed / checkout.elapsedSeconds;
const machine = `${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}`;
const lines = [
  `facade: ${SECONDS} s per target after ${WARMUP_SECONDS} s warm-up, ${CONNECTIONS} connections, ${machine}`,
  ...table([
    ['', ...MEASURED_COLUMNS],
    measuredRow(`(a) baseline proxy  GET ${UNMATCHED_PATH}`, forwarding.baseline),
    measuredRow('(a) facade          (same path, unmatched)', forwarding.facade),
    measuredRow(`(b) monolith direct GET /api/products/{id}`, singleProcess.monolith),
    measuredRow('(b) facade          (legacy in-process)', singleProcess.facade),
  ]),
  `(a) req/s ratio ${forwardingRatio.toFixed(3)} (goal >= 0.9: ${verdict(goals.forwardingRequestsPerSecond.met)}), ` +
    `p99 ratio ${forwardingP99Ratio.toFixed(3)} (goal <= 1.5: ${verdict(goals.forwardingP99.met)})`,
  `(b) req/s ratio ${inProcessRatio.toFixed(3)} (goal >= 0.8: ${verdict(goals.inProcessRequestsPerSecond.met)})`,
  `(c) checkout via facade, payments extracted: ${ordersPerSecond.toFixed(1)} orders/s, ` +
    `p50 ${checkout.p50Ms.toFixed(1)} ms, p99 ${checkout.p99Ms.toFixed(1)} ms, ` +
    `${checkout.confirmed} confirmed, ${checkout.errors} errors, ` +
    `CPU ${(checkout.cpuUsPerRequest / 1000).toFixed(1)} ms/order (whole thread)`,
  `(c) check: ${checkout.check.capturedOnce} of ${checkout.check.confirmedOrders} confirmed orders captured exactly once in payments-service, ` +
    `${checkout.check.legacyPayments} captured by the legacy module: ${checkout.check.ok ? 'ok' : 'FAILED'}`,
  "CPU µs/req: the server thread's CPU time per request (the one thread of every component in (b) and (c)).",
];
process.stdout.write(`${lines.join('\n')}\n`);

await writeResults('facade', machine, {
  settings: { seconds: SECONDS, warmupSeconds: WARMUP_SECONDS, connections: CONNECTIONS },
  forwarding: { path: UNMATCHED_PATH, ...forwarding },
  singleProcess,
  goals,
  checkoutOrdersPerSecond: ordersPerSecond,
});
process.exit(checkout.check.ok ? 0 : 1);
