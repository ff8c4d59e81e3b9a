import type { Logger } from 'pino';
import type { Instance } from './instances.ts';

// Active health checks: every interval each instance is asked its readiness path; a 2xx within
// the bound keeps it in rotation, anything else (an error, a 503, no answer) takes it out until
// a later check passes.

export interface HealthCheckOptions {
  upstream: string;
  instances: readonly Instance[];
  path: string;
  intervalMs: number;
  timeoutMs: number;
  logger?: Logger;
}

async function check(instance: Instance, path: string, timeoutMs: number): Promise<boolean> {
  try {
    const answer = await instance.pool.request({
      method: 'GET',
      path,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await answer.body.dump();
    return answer.statusCode >= 200 && answer.statusCode < 300;
  } catch {
    return false;
  }
}

/** Starts checking at once and every interval after; the returned function stops it. */
export function startHealthChecks(options: HealthCheckOptions): () => void {
  const running = new Set<Instance>();
  const round = () => {
    for (const instance of options.instances) {
      // A check still waiting for its answer is not doubled up.
      if (running.has(instance)) continue;
      running.add(instance);
      void check(instance, options.path, options.timeoutMs).then((healthy) => {
        running.delete(instance);
        if (healthy !== instance.healthy) {
          options.logger?.warn(
            { upstream: options.upstream, instance: instance.url, healthy },
            healthy
              ? 'upstream instance back in rotation'
              : 'upstream instance failed its health check',
          );
        }
        instance.healthy = healthy;
      });
    }
  };
  round();
  const timer = setInterval(round, options.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
