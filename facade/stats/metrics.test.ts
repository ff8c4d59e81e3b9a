import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/platform/metrics.ts';
import { createFacadeMetrics } from './metrics.ts';
import { createSideStats } from './side-stats.ts';

describe("the facade's metrics", () => {
  it('exposes every series after an exchange, and feeds the side stats from the same call', async () => {
    const { registry } = createMetrics('facade');
    const stats = createSideStats({ now: () => 0 });
    let version = 7;
    const metrics = createFacadeMetrics({
      registry,
      stats,
      circuits: () => [
        { upstream: 'payments-service', state: 'open' },
        { upstream: 'monolith', state: 'closed' },
      ],
      toggleVersion: () => version,
    });

    metrics.recordExchange({ routeId: 'payments.read.by-id', side: 'legacy', status: 200, ms: 12 });
    metrics.recordExchange({
      routeId: 'payments.read.by-id',
      side: 'new',
      status: 0,
      ms: 40,
      upstreamError: 'connect-error',
      fallback: { reason: 'connect-error', status: 200, ms: 15 },
    });
    metrics.recordExchange({ routeId: 'payments.read.list', side: 'new', status: 502, ms: 30 });
    metrics.recordShadowCompared('payments.read.by-id', 'mismatch');
    metrics.recordMirrorDropped('payments.read.by-id', 'queue-full');
    version = 8;

    const text = await registry.metrics();
    for (const series of [
      'facade_requests_total{route="payments.read.by-id",side="legacy",status_class="2xx",component="facade"} 2',
      'facade_requests_total{route="payments.read.by-id",side="new",status_class="error",component="facade"} 1',
      'facade_requests_total{route="payments.read.list",side="new",status_class="5xx",component="facade"} 1',
      'facade_upstream_errors_total{route="payments.read.by-id",side="new",kind="connect-error",component="facade"} 1',
      'facade_upstream_errors_total{route="payments.read.list",side="new",kind="5xx",component="facade"} 1',
      'facade_fallbacks_total{route="payments.read.by-id",reason="connect-error",component="facade"} 1',
      'facade_request_duration_seconds_count{component="facade",route="payments.read.by-id",side="legacy"} 2',
      'facade_request_duration_seconds_bucket{le="0.05",component="facade",route="payments.read.by-id",side="new"} 1',
      'facade_circuit_state{upstream="payments-service",component="facade"} 2',
      'facade_circuit_state{upstream="monolith",component="facade"} 0',
      'facade_shadow_compared_total{route="payments.read.by-id",result="mismatch",component="facade"} 1',
      'facade_mirror_dropped_total{route="payments.read.by-id",reason="queue-full",component="facade"} 1',
      'facade_toggle_version{component="facade"} 8',
    ]) {
      expect(text).toContain(series);
    }

    expect(stats.window('payments.read.by-id', 'new')).toMatchObject({ requests: 1, errors: 1 });
    expect(stats.window('payments.read.by-id', 'legacy')).toMatchObject({ requests: 2, errors: 0 });
    expect(stats.fallbacks('payments.read.by-id')).toBe(1);
    expect(stats.window('payments.read.list', 'new')).toMatchObject({ requests: 1, errors: 1 });
  });
});
