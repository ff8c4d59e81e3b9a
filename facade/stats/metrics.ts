import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Side } from '../proxy/exchange.ts';
import type { SideStats } from './side-stats.ts';

// The facade's Prometheus series, on its component's registry (served at its `/metrics`), and
// the one call the proxy makes per client request, which feeds both them and the side stats.

export type CircuitState = 'closed' | 'half-open' | 'open';
const circuitValue: Record<CircuitState, number> = { closed: 0, 'half-open': 1, open: 2 };

/** One client request as the proxy saw it, recorded once when it is answered. */
export interface Exchange {
  routeId: string;
  /** The side asked first (in `extracted`, new; legacy only answers on a fallback). */
  side: Side;
  /** That side's answer's status; 0 when it gave none. */
  status: number;
  /** How long that side took, retries included. */
  ms: number;
  /** Why that side gave no answer: `connect-error`, `timeout`, `circuit-open`, … */
  upstreamError?: string;
  /** The new side failed and legacy answered instead. */
  fallback?: { reason: string; status: number; ms: number };
}

export interface FacadeMetricsOptions {
  registry: Registry;
  stats: SideStats;
  /** Each upstream's circuit now, read at every scrape. */
  circuits?: () => Iterable<{ upstream: string; state: CircuitState }>;
  /** The toggle version this replica applies, read at every scrape. */
  toggleVersion?: () => number;
}

export interface FacadeMetrics {
  recordExchange(exchange: Exchange): void;
  /** One mirrored pair compared in shadow: `match` or `mismatch` (or `error` when not compared). */
  recordShadowCompared(routeId: string, result: 'match' | 'mismatch' | 'error'): void;
  recordMirrorDropped(routeId: string, reason: string): void;
}

const statusClass = (status: number, failed: boolean) =>
  failed || status < 100 ? 'error' : `${Math.floor(status / 100)}xx`;

export function createFacadeMetrics(options: FacadeMetricsOptions): FacadeMetrics {
  const { registry, stats } = options;
  const registers = [registry];
  const requests = new Counter({
    name: 'facade_requests_total',
    help: 'Requests answered per route and side, by status class (error: no answer)',
    labelNames: ['route', 'side', 'status_class'] as const,
    registers,
  });
  const upstreamErrors = new Counter({
    name: 'facade_upstream_errors_total',
    help: 'Upstream calls that failed per route and side, by kind (5xx or no answer)',
    labelNames: ['route', 'side', 'kind'] as const,
    registers,
  });
  const fallbacks = new Counter({
    name: 'facade_fallbacks_total',
    help: 'New-side failures answered by legacy, per route and reason',
    labelNames: ['route', 'reason'] as const,
    registers,
  });
  const duration = new Histogram({
    name: 'facade_request_duration_seconds',
    help: 'Upstream latency per route and side, retries included',
    labelNames: ['route', 'side'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  new Gauge({
    name: 'facade_circuit_state',
    help: "Each upstream's circuit breaker: 0 closed, 1 half-open, 2 open",
    labelNames: ['upstream'] as const,
    registers,
    collect() {
      this.reset();
      for (const { upstream, state } of options.circuits?.() ?? []) {
        this.set({ upstream }, circuitValue[state]);
      }
    },
  });
  const compared = new Counter({
    name: 'facade_shadow_compared_total',
    help: 'Mirrored pairs compared in shadow, per route and result',
    labelNames: ['route', 'result'] as const,
    registers,
  });
  const dropped = new Counter({
    name: 'facade_mirror_dropped_total',
    help: 'Mirrors not sent in shadow, per route and reason',
    labelNames: ['route', 'reason'] as const,
    registers,
  });
  new Gauge({
    name: 'facade_toggle_version',
    help: 'The toggle version this replica applies',
    registers,
    collect() {
      if (options.toggleVersion) this.set(options.toggleVersion());
    },
  });

  const side = (routeId: string, name: Side, status: number, ms: number, kind?: string) => {
    const failed = kind !== undefined;
    const error = failed || status >= 500;
    requests.inc({ route: routeId, side: name, status_class: statusClass(status, failed) });
    if (error) upstreamErrors.inc({ route: routeId, side: name, kind: kind ?? '5xx' });
    duration.observe({ route: routeId, side: name }, ms / 1_000);
    return error;
  };

  return {
    recordExchange(exchange) {
      const { routeId, fallback } = exchange;
      const error = side(
        routeId,
        exchange.side,
        exchange.status,
        exchange.ms,
        exchange.upstreamError,
      );
      stats.record(routeId, exchange.side, {
        status: exchange.status,
        ms: exchange.ms,
        error,
        fallback: fallback !== undefined,
      });
      if (!fallback) return;
      fallbacks.inc({ route: routeId, reason: fallback.reason });
      const legacyError = side(routeId, 'legacy', fallback.status, fallback.ms);
      stats.record(routeId, 'legacy', {
        status: fallback.status,
        ms: fallback.ms,
        error: legacyError,
      });
    },
    recordShadowCompared(routeId, result) {
      compared.inc({ route: routeId, result });
    },
    recordMirrorDropped(routeId, reason) {
      dropped.inc({ route: routeId, reason });
    },
  };
}
