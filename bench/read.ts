import { randomUUID } from 'node:crypto';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { benchLeftovers, scratchSpace } from './leftovers.ts';
import {
  HTTP_BENCH,
  MEASURED_COLUMNS,
  type Measured,
  measure,
  measuredRow,
  pair,
  table,
  verdict,
  writeResults,
} from './paired-runs.ts';
import { type StartedProcess, startProcess } from './started-process.ts';

// `npm run bench:read`: the catalog's hot reads against the limit of the stack they run on, in
// the same run. Prints a table and writes it as JSON under bench/results/; asserts nothing.
// - The single-process run (`node src/main.ts`, every component in one process, as `npm start`
//   runs it) on PostgreSQL, read at the monolith's own port: GET /api/products/{id} and
//   GET /api/products?pageSize=20, next to
// - the limit (read-limit.ts): a bare Hono route running the same SQL through postgres.js.
// Each pair runs A B B A (paired-runs.ts). Each server is a process of its own, so its CPU per
// request and its resident memory are its own; the load runs on a thread of this one.
// Then the embedded run (PGlite, no Redis) is started twice on one data directory, and the
// second start's time to ready is the one a developer waits for.

const {
  postgresUrl: POSTGRES_URL,
  seconds: SECONDS,
  warmupSeconds: WARMUP_SECONDS,
  connections: CONNECTIONS,
} = HTTP_BENCH;
const PRODUCTS = Number(process.env.BENCH_PRODUCTS ?? 500);
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'info';
const LIST_PATH = '/api/products?pageSize=20';
const GOALS = { single: 0.5, list: 0.4, embeddedReadyMs: 3_000 };
const tag = randomUUID().slice(0, 8);
const settings = { connections: CONNECTIONS, warmupSeconds: WARMUP_SECONDS };

const leftovers = benchLeftovers("the bench's databases and processes");
const mainScript = new URL('../src/main.ts', import.meta.url).pathname;

const scratch = scratchSpace(leftovers, POSTGRES_URL, `bench_read_${tag}`);
const createDatabase = scratch.database;
const tempDir = scratch.directory;

/** What every process gets: nothing of this shell's environment but where node is. */
const baseEnv = () => ({
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? tmpdir(),
  HOST: '127.0.0.1',
  LOG_LEVEL,
  FACADE_PORT: '0',
  MONOLITH_PORT: '0',
  USERS_SERVICE_PORT: '0',
  PAYMENTS_SERVICE_PORT: '0',
});

/** PRODUCTS live products beside the demo ones, so the list has pages and a real count. */
async function addProducts(url: string) {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql`insert into catalog.products (sku, name, description, price_minor, currency)
      select 'BENCH-' || n, 'Bench product ' || n, 'A product the read bench lists.', 100 + n, 'EUR'
      from generate_series(1, ${PRODUCTS}::int) as n`;
    const [row] = await sql<{ id: string }[]>`select id from catalog.products
      where deleted_at is null order by created_at desc, id limit 1`;
    if (!row) throw new Error('no product to read');
    return row.id;
  } finally {
    await sql.end();
  }
}

const cpuOf = (server: StartedProcess) => async () => server.cpuUs();

async function benchReads() {
  const [monolith, users, payments, facade] = await Promise.all(
    ['mono', 'users', 'pay', 'facade'].map(createDatabase),
  );
  const dir = await tempDir();
  const system = await startProcess(
    mainScript,
    {
      ...baseEnv(),
      DATA_DIR: join(dir, 'data'),
      DATABASE_URL: monolith!,
      USERS_SERVICE_DATABASE_URL: users!,
      PAYMENTS_SERVICE_DATABASE_URL: payments!,
      FACADE_DATABASE_URL: facade!,
      SEED_DEMO_DATA: 'true',
    },
    join(dir, 'system.log'),
    leftovers,
  );
  const residentAfterStartMiB = system.residentMiB();
  const limit = await startProcess(
    new URL('./read-limit.ts', import.meta.url).pathname,
    { ...baseEnv(), DATABASE_URL: monolith! },
    join(dir, 'limit.log'),
    leftovers,
  );
  try {
    const monolithUrl = (system.ready.components as Record<string, string>).monolith!;
    const id = await addProducts(monolith!);
    const single = `/api/products/${id}`;
    const compare = (path: string) =>
      pair(
        {
          label: `limit, ${path}`,
          load: (seconds) =>
            measure(cpuOf(limit), limit.ready.url as string, path, {
              ...settings,
              seconds,
            }),
        },
        {
          label: `monolith, ${path}`,
          load: (seconds) => measure(cpuOf(system), monolithUrl, path, { ...settings, seconds }),
        },
        SECONDS,
      );
    const [singleLimit, singleMonolith] = await compare(single);
    const [listLimit, listMonolith] = await compare(LIST_PATH);
    return {
      single: { path: single, limit: singleLimit, monolith: singleMonolith },
      list: { path: LIST_PATH, limit: listLimit, monolith: listMonolith },
      memory: { residentAfterStartMiB, residentAfterLoadMiB: system.residentMiB() },
    };
  } finally {
    await limit.stop();
    await system.stop();
  }
}

/** The embedded run started twice on one data directory: the first makes it, the second reuses it. */
async function benchEmbeddedStart() {
  const dir = await tempDir();
  const env = { ...baseEnv(), LOG_LEVEL: 'info', DATA_DIR: join(dir, 'data') };
  process.stdout.write('bench: embedded npm start, new data directory\n');
  const first = await startProcess(mainScript, env, join(dir, 'first.log'), leftovers);
  await first.stop();
  process.stdout.write('bench: embedded npm start, existing data directory\n');
  const second = await startProcess(mainScript, env, join(dir, 'second.log'), leftovers);
  const residentMiB = second.residentMiB();
  await second.stop();
  return {
    firstStartupMs: first.ready.startupMs as number,
    startupMs: second.ready.startupMs as number,
    residentAfterStartMiB: residentMiB,
  };
}

let reads: Awaited<ReturnType<typeof benchReads>>;
let embedded: Awaited<ReturnType<typeof benchEmbeddedStart>>;
try {
  reads = await benchReads();
  embedded = await benchEmbeddedStart();
} finally {
  await leftovers.cleanUp();
}

const ratio = (of: { limit: Measured; monolith: Measured }) =>
  of.monolith.requestsPerSecond / of.limit.requestsPerSecond;
const singleRatio = ratio(reads.single);
const listRatio = ratio(reads.list);
const goals = {
  single: { ratio: singleRatio, goal: GOALS.single, met: singleRatio >= GOALS.single },
  list: { ratio: listRatio, goal: GOALS.list, met: listRatio >= GOALS.list },
  embeddedReady: {
    startupMs: embedded.startupMs,
    goal: GOALS.embeddedReadyMs,
    met: embedded.startupMs <= GOALS.embeddedReadyMs,
  },
};
const mib = (value: number | undefined) =>
  value === undefined ? 'n/a' : `${value.toFixed(0)} MiB`;
const machine = `${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}`;
const lines = [
  `read: ${SECONDS} s per target after ${WARMUP_SECONDS} s warm-up, ${CONNECTIONS} connections, LOG_LEVEL=${LOG_LEVEL}, ${machine}`,
  ...table([
    ['', ...MEASURED_COLUMNS],
    measuredRow('limit     GET /api/products/{id}', reads.single.limit),
    measuredRow('monolith  GET /api/products/{id}', reads.single.monolith),
    measuredRow(`limit     GET ${LIST_PATH}`, reads.list.limit),
    measuredRow(`monolith  GET ${LIST_PATH}`, reads.list.monolith),
  ]),
  `single product: ${singleRatio.toFixed(3)} × the limit's req/s (goal >= ${GOALS.single}: ${verdict(goals.single.met)})`,
  `list:           ${listRatio.toFixed(3)} × the limit's req/s (goal >= ${GOALS.list}: ${verdict(goals.list.met)})`,
  `single-process run on PostgreSQL, resident memory: ${mib(reads.memory.residentAfterStartMiB)} after start, ${mib(reads.memory.residentAfterLoadMiB)} after the load`,
  `embedded npm start (PGlite): ready in ${embedded.firstStartupMs} ms on a new data directory, ` +
    `${embedded.startupMs} ms on an existing one (goal <= ${GOALS.embeddedReadyMs}: ${verdict(goals.embeddedReady.met)}), ` +
    `${mib(embedded.residentAfterStartMiB)} resident after start`,
  'CPU µs/req: the server process’s CPU time (all its threads) per request.',
];
process.stdout.write(`${lines.join('\n')}\n`);

await writeResults('read', machine, {
  settings: {
    seconds: SECONDS,
    warmupSeconds: WARMUP_SECONDS,
    connections: CONNECTIONS,
    products: PRODUCTS,
    logLevel: LOG_LEVEL,
  },
  ...reads,
  embedded,
  goals,
});
