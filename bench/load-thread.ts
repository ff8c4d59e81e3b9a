import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { Pool } from 'undici';

// The load of `bench:facade`, on a thread of its own so it does not share an event loop with a
// server it measures: CONNECTIONS keep-alive connections, each sending its next request as soon
// as the last answer is read, for a warm-up and then for the measured seconds. A request is a
// GET of `path`, or with `checkout` a checkout (POST `path`) of one unit under a fresh
// Idempotency-Key, for the users and products it names in turn.

/** Who checks out what: signed-in users' access tokens and products with stock. */
export interface CheckoutLoad {
  tokens: string[];
  productIds: string[];
}

export interface LoadRequest {
  /** Where requests go; with several, in turn (one pool each, the connections shared out). */
  url: string | string[];
  path: string;
  connections: number;
  warmupSeconds: number;
  seconds: number;
  checkout?: CheckoutLoad;
}

export interface LoadResult {
  requests: number;
  /** Answers other than 2xx (checkouts: other than a confirmed order), and requests that got no answer. */
  errors: number;
  statuses: Record<string, number>;
  /** Checkouts answered 201 with a confirmed order (0 for GETs). */
  confirmed: number;
  elapsedSeconds: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

const SHIPPING_ADDRESS = {
  name: 'Bench',
  line1: 'Main St 1',
  postalCode: '10115',
  city: 'Berlin',
  country: 'DE',
};

const percentile = (sorted: Float64Array, p: number) =>
  sorted.length === 0
    ? Number.NaN
    : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function drive(request: LoadRequest): Promise<LoadResult> {
  const urls = typeof request.url === 'string' ? [request.url] : request.url;
  const perPool = Math.ceil(request.connections / urls.length);
  const pools = urls.map((url) => new Pool(url, { connections: perPool, pipelining: 1 }));
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  let errors = 0;
  let confirmed = 0;
  let sequence = 0;
  const { checkout } = request;
  const send = () => {
    const n = sequence++;
    const pool = pools[n % pools.length]!;
    if (!checkout) return pool.request({ method: 'GET', path: request.path });
    return pool.request({
      method: 'POST',
      path: request.path,
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${checkout.tokens[n % checkout.tokens.length]}`,
        'idempotency-key': randomUUID(),
      },
      body: JSON.stringify({
        items: [{ productId: checkout.productIds[n % checkout.productIds.length], quantity: 1 }],
        shippingAddress: SHIPPING_ADDRESS,
      }),
    });
  };
  const statuses: Record<string, number> = {};
  let measuring = false;
  const once = async () => {
    const started = performance.now();
    try {
      const res = await send();
      const order = checkout ? ((await res.body.json()) as { status?: string }) : undefined;
      if (!checkout) await res.body.dump();
      if (!measuring) return;
      if (res.statusCode === 201 && order?.status === 'confirmed') confirmed++;
      statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
      // A checkout that answers but does not confirm (cancelled, refused) failed too.
      const failed = checkout
        ? !(res.statusCode === 201 && order?.status === 'confirmed')
        : res.statusCode < 200 || res.statusCode > 299;
      if (failed) errors++;
    } catch {
      if (!measuring) return;
      statuses.failed = (statuses.failed ?? 0) + 1;
      errors++;
    }
    if (count === latencies.length) {
      const grown = new Float64Array(latencies.length * 2);
      grown.set(latencies);
      latencies = grown;
    }
    latencies[count++] = performance.now() - started;
  };
  const loopUntil = async (deadline: number) => {
    while (performance.now() < deadline) await once();
  };
  const run = (seconds: number) => {
    const deadline = performance.now() + seconds * 1000;
    return Promise.all(Array.from({ length: request.connections }, () => loopUntil(deadline)));
  };
  await run(request.warmupSeconds);
  measuring = true;
  const began = performance.now();
  await run(request.seconds);
  const elapsedSeconds = (performance.now() - began) / 1000;
  await Promise.all(pools.map((pool) => pool.close()));
  const sorted = latencies.subarray(0, count).sort();
  return {
    requests: count,
    errors,
    statuses,
    confirmed,
    elapsedSeconds,
    requestsPerSecond: count / elapsedSeconds,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
  };
}

parentPort?.postMessage(await drive(workerData as LoadRequest));
