import type { ParityFigures, SideWindow } from '../admin/overview-schema.ts';
import type { Side } from '../proxy/exchange.ts';
import type { Figures } from '../toggles/figures.ts';

// The numbers a route change is journaled with: its shadow parity and each side's window now.

export interface RouteFigureSources {
  stats: { window(routeId: string, side: Side): SideWindow };
  parity: { figures(routeId: string): Promise<ParityFigures> };
}

export function routeFigures(sources: RouteFigureSources) {
  return async (routeId: string): Promise<Figures> => {
    const { samples, matchRate } = await sources.parity.figures(routeId);
    const side = (which: Side) => {
      const { requests, errorRate, p95Ms, p99Ms } = sources.stats.window(routeId, which);
      return { requests, errorRate, p95Ms, p99Ms };
    };
    return {
      ...(matchRate !== null && { parity: { matchRate, samples } }),
      legacy: side('legacy'),
      new: side('new'),
    };
  };
}
