import { z } from '@hono/zod-openapi';

/** One part of the admin dashboard: a module's counts and sums, under a stable name. */
export interface DashboardSource {
  name: string;
  /**
   * The figures, as a plain object (any module's stats type fits). `signal` aborts when the
   * source's time is up; a source may ignore it.
   */
  load(signal: AbortSignal): Promise<object>;
}

export const dashboardSchema = z
  .object({
    generatedAt: z.iso.datetime(),
    /** Each available source's figures, under its name. */
    data: z.record(z.string(), z.record(z.string(), z.unknown())),
    /** Sources left out: `timeout`, or the error they failed with. */
    unavailable: z.array(z.object({ source: z.string(), reason: z.string() })),
  })
  .openapi('AdminDashboard');
export type Dashboard = z.infer<typeof dashboardSchema>;

type Outcome = { ok: true; value: object } | { ok: false; reason: string };

/** Settles within `timeoutMs` whatever the source does: hangs, throws, or throws synchronously. */
async function loadWithin(source: DashboardSource, timeoutMs: number): Promise<Outcome> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve({ ok: false, reason: 'timeout' });
    }, timeoutMs);
  });
  const load = Promise.resolve()
    .then(() => source.load(controller.signal))
    .then(
      (value): Outcome => ({ ok: true, value }),
      (error: unknown): Outcome => ({
        ok: false,
        reason: error instanceof Error ? error.message : String(error),
      }),
    );
  try {
    return await Promise.race([load, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs every source at once, each under its own timeout: one slow or broken source costs its
 * own figures, never the whole dashboard.
 */
export async function gatherDashboard(
  sources: readonly DashboardSource[],
  timeoutMs: number,
  now: () => Date = () => new Date(),
): Promise<Dashboard> {
  const outcomes = await Promise.all(sources.map((source) => loadWithin(source, timeoutMs)));
  const dashboard: Dashboard = { generatedAt: now().toISOString(), data: {}, unavailable: [] };
  outcomes.forEach((outcome, index) => {
    const name = sources[index]?.name ?? String(index);
    if (outcome.ok) dashboard.data[name] = { ...outcome.value };
    else dashboard.unavailable.push({ source: name, reason: outcome.reason });
  });
  return dashboard;
}
