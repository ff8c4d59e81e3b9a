import type { Logger } from 'pino';
import { DeadlineExceeded } from '../../src/platform/resilience/infrastructure-error.ts';
import { compareAnswers, statusPath } from '../parity/compare.ts';
import type { ParityRecorder } from '../parity/recorder.ts';
import type { ForwardAnswer, ForwardRequest, Sides } from '../proxy/exchange.ts';
import type { RouteMatch } from '../routes/match.ts';

// `shadow` off the hot path: the proxy offers each request it answered from legacy, and a few
// workers mirror it to the new side and compare the answers. Everything is bounded (queue, body
// size, workers, each call's time); what does not fit is dropped and counted, never waited for.
// On a sample of safe requests legacy is asked a second time, and where its two answers differ
// is learned as noise (as Diffy does).

/** Why a request was not mirrored. */
export const dropReasons = ['queue-full', 'body-too-large', 'not-mirrored', 'closed'] as const;
export type DropReason = (typeof dropReasons)[number];

export interface MirrorJob {
  match: RouteMatch;
  request: ForwardRequest;
  /** The answer the client got. */
  legacy: ForwardAnswer;
  legacyMs: number;
}

export interface MirrorOptions {
  sides: Sides;
  parity: ParityRecorder;
  /** Jobs waiting for a worker; default 1000. */
  maxQueue?: number;
  /** Largest request or legacy answer body mirrored; default 64 KiB. */
  maxBodyBytes?: number;
  /** Mirrored requests in flight at once; default 8. */
  concurrency?: number;
  /** Share of safe requests legacy answers twice, to learn noise; default 0.1. */
  noiseSampleRate?: number;
  /** Bound on each mirrored call; default the route's timeoutMs. */
  timeoutMs?: number;
  random?: () => number;
  logger?: Logger;
}

export interface MirrorState {
  queued: number;
  inFlight: number;
  closed: boolean;
}

export interface Mirror {
  /** Queues a mirror of a request legacy answered; false (and a drop counted) if it cannot. */
  offer(job: MirrorJob): boolean;
  /** Takes no more offers; lets the queued finish within `timeoutMs`, then aborts the rest. */
  drain(timeoutMs: number): Promise<void>;
  state(): MirrorState;
}

const safeMethods = new Set(['GET', 'HEAD']);

export function createMirror(options: MirrorOptions): Mirror {
  const { sides, parity, logger } = options;
  const maxQueue = options.maxQueue ?? 1_000;
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024;
  const concurrency = options.concurrency ?? 8;
  const noiseSampleRate = options.noiseSampleRate ?? 0.1;
  const random = options.random ?? Math.random;

  const queue: MirrorJob[] = [];
  const running = new Set<AbortController>();
  let idleWaiters: Array<() => void> = [];
  let scheduled = false;
  let closed = false;

  const settleIdle = () => {
    if (queue.length > 0 || running.size > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  };

  /** One mirrored call: its own deadline and signal, since the client's may be gone already. */
  function call<T>(
    job: MirrorJob,
    controller: AbortController,
    send: (r: ForwardRequest) => Promise<T>,
  ) {
    const budgetMs = options.timeoutMs ?? job.match.entry.timeoutMs;
    const timer = setTimeout(
      () => controller.abort(new DeadlineExceeded(`mirror: no answer within ${budgetMs} ms`)),
      budgetMs,
    );
    const request = {
      ...job.request,
      deadlineAt: performance.now() + budgetMs,
      signal: controller.signal,
    };
    // A side that ignores the signal still frees the worker when the time is up.
    const aborted = new Promise<never>((_, reject) => {
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason), {
        once: true,
      });
    });
    return Promise.race([send(request), aborted]).finally(() => clearTimeout(timer));
  }

  async function mirror(job: MirrorJob, controller: AbortController): Promise<void> {
    const { entry } = job.match;
    const learnsNoise =
      safeMethods.has(job.request.method.toUpperCase()) && random() < noiseSampleRate;
    const [candidate, again] = await Promise.allSettled([
      call(job, controller, (request) =>
        sides.new(job.match, request, { mirrored: true, dryRun: entry.mirror === 'dry-run' }),
      ),
      learnsNoise
        ? call(job, controller, (request) => sides.legacy(request, { mirrored: true }))
        : Promise.resolve(undefined),
    ]);
    // Two statuses that differ say legacy failed once, not which fields are noise.
    if (again.status === 'fulfilled' && again.value !== undefined) {
      const noise = compareAnswers(job.legacy, again.value).diffs.map((diff) => diff.path);
      if (noise.length > 0 && !noise.includes(statusPath)) parity.learnNoise(entry.id, noise);
    }
    if (candidate.status === 'rejected') {
      logger?.debug({ err: candidate.reason, route: entry.id }, 'mirrored call failed');
      parity.mirrorFailed(entry.id);
      return;
    }
    const result = compareAnswers(job.legacy, candidate.value, parity.noise(entry.id));
    const { requestId, method, url } = job.request;
    parity.compared(entry.id, { requestId, method, url }, result);
  }

  function pump(): void {
    scheduled = false;
    while (running.size < concurrency && queue.length > 0) {
      const job = queue.shift() as MirrorJob;
      const controller = new AbortController();
      running.add(controller);
      mirror(job, controller)
        .catch((error: unknown) => logger?.warn({ err: error }, 'mirror failed'))
        .finally(() => {
          running.delete(controller);
          pump();
          settleIdle();
        });
    }
  }

  function drop(job: MirrorJob, reason: DropReason): false {
    parity.dropped(job.match.entry.id, reason);
    return false;
  }

  return {
    offer(job) {
      try {
        const { entry } = job.match;
        if (closed) return drop(job, 'closed');
        if (entry.mirror === 'never' || entry.new === undefined) return drop(job, 'not-mirrored');
        if (
          (job.request.body?.byteLength ?? 0) > maxBodyBytes ||
          job.legacy.body.byteLength > maxBodyBytes
        ) {
          return drop(job, 'body-too-large');
        }
        if (queue.length >= maxQueue) return drop(job, 'queue-full');
        queue.push(job);
        // Started after the caller's turn, so the client's answer goes out first.
        if (!scheduled) {
          scheduled = true;
          queueMicrotask(pump);
        }
        return true;
      } catch (error) {
        logger?.warn({ err: error }, 'mirror offer failed');
        return false;
      }
    },
    async drain(timeoutMs) {
      closed = true;
      const idle = new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        settleIdle();
      });
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), timeoutMs);
      });
      const outcome = await Promise.race([idle, late]);
      clearTimeout(timer);
      if (outcome !== 'late') return;
      for (const job of queue.splice(0)) drop(job, 'closed');
      for (const controller of running) controller.abort(new DeadlineExceeded('mirror drained'));
      await idle;
    },
    state: () => ({ queued: queue.length, inFlight: running.size, closed }),
  };
}
