import { mkdir, writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { CheckoutLoad, LoadRequest, LoadResult } from './load-thread.ts';

// How the HTTP benches (`bench:facade`, `bench:read`) load a target and compare two: the load on
// a thread of its own (load-thread.ts), the server's CPU time per request beside req/s, and
// pairs of targets run in the order A B B A.

/** What the HTTP benches read from the environment alike (README: Benchmark). */
export const HTTP_BENCH = {
  postgresUrl: process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  /** Per target, split over its two runs of a pair. */
  seconds: Number(process.env.BENCH_SECONDS ?? 10),
  warmupSeconds: Number(process.env.BENCH_WARMUP_SECONDS ?? 2),
  connections: Number(process.env.BENCH_CONNECTIONS ?? 32),
};

export interface LoadSettings {
  connections: number;
  warmupSeconds: number;
}

/** The load of load-thread.ts for `seconds` after the warm-up, on a thread of its own. */
export function runLoad(
  url: LoadRequest['url'],
  path: string,
  seconds: number,
  settings: LoadSettings,
  checkout?: CheckoutLoad,
): Promise<LoadResult> {
  const request: LoadRequest = { url, path, ...(checkout && { checkout }), ...settings, seconds };
  const worker = new Worker(new URL('./load-thread.ts', import.meta.url), { workerData: request });
  return new Promise((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (result: LoadResult) => worker.terminate().then(() => resolve(result)));
  });
}

export type Measured = LoadResult & { cpuUsPerRequest: number };

/**
 * Load on `url + path` while `cpuUs` tells the server's CPU time so far (µs): that per request
 * is the server's own cost, less shaken by a shared machine than req/s. The warm-up's CPU is
 * counted too, over the warm-up's requests at the measured rate, so it is approximate.
 */
export async function measure(
  cpuUs: () => Promise<number>,
  url: string,
  path: string,
  { seconds, checkout, ...settings }: LoadSettings & { seconds: number; checkout?: CheckoutLoad },
): Promise<Measured> {
  const before = await cpuUs();
  const began = performance.now();
  const result = await runLoad(url, path, seconds, settings, checkout);
  const used = (await cpuUs()) - before;
  const wall = (performance.now() - began) / 1000;
  const done = checkout ? result.confirmed : result.requestsPerSecond * result.elapsedSeconds;
  const requests = (done / result.elapsedSeconds) * wall;
  return { ...result, cpuUsPerRequest: used / Math.max(requests, 1) };
}

/** One target of a pair: a label for the progress line, and how to load it for `seconds`. */
export interface Target {
  label: string;
  load(seconds: number): Promise<Measured>;
}

/** Two halves of a target's runs as one: their requests over their time, their mean latencies. */
function combined(first: Measured, second: Measured): Measured {
  const elapsedSeconds = first.elapsedSeconds + second.elapsedSeconds;
  const requests = first.requests + second.requests;
  const statuses = { ...first.statuses };
  for (const [status, count] of Object.entries(second.statuses)) {
    statuses[status] = (statuses[status] ?? 0) + count;
  }
  return {
    requests,
    errors: first.errors + second.errors,
    statuses,
    confirmed: first.confirmed + second.confirmed,
    elapsedSeconds,
    requestsPerSecond: requests / elapsedSeconds,
    p50Ms: (first.p50Ms + second.p50Ms) / 2,
    p99Ms: (first.p99Ms + second.p99Ms) / 2,
    cpuUsPerRequest:
      (first.cpuUsPerRequest * first.requests + second.cpuUsPerRequest * second.requests) /
      Math.max(requests, 1),
  };
}

/**
 * A target and the one it is compared with, each for `seconds` in all, in the order A B B A: a
 * machine that speeds up or slows down during the pair (a shared one does) favours neither.
 */
export async function pair(a: Target, b: Target, seconds: number): Promise<[Measured, Measured]> {
  const half = seconds / 2;
  const run = (target: Target) => {
    process.stdout.write(`bench: ${target.label}\n`);
    return target.load(half);
  };
  const a1 = await run(a);
  const b1 = await run(b);
  const b2 = await run(b);
  const a2 = await run(a);
  return [combined(a1, a2), combined(b1, b2)];
}

/** The rows and columns padded to line up, the first column left-aligned. */
export function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  return rows.map((row) =>
    row
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

/** A table row of one measured target. */
export const measuredRow = (label: string, run: Measured) => [
  label,
  run.requestsPerSecond.toFixed(0),
  run.p50Ms.toFixed(2),
  run.p99Ms.toFixed(2),
  run.cpuUsPerRequest.toFixed(0),
  String(run.errors),
];

export const MEASURED_COLUMNS = ['req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'errors'];

export const verdict = (met: boolean) => (met ? 'met' : 'NOT met');

/** Writes a run's figures to bench/results/<kind>-<time>.json, with when and where it ran. */
export async function writeResults(
  kind: string,
  machine: string,
  figures: Record<string, unknown>,
): Promise<void> {
  const at = new Date();
  const file = new URL(
    `./results/${kind}-${at.toISOString().replace(/[:.]/g, '-')}.json`,
    import.meta.url,
  );
  await mkdir(new URL('./results/', import.meta.url), { recursive: true });
  await writeFile(
    file,
    `${JSON.stringify({ at: at.toISOString(), machine, ...figures }, null, 2)}\n`,
  );
  process.stdout.write(`bench: wrote ${file.pathname}\n`);
}
