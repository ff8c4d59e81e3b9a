/** Exponential backoff with full jitter, capped, so retries of many deliveries spread out. */
export function retryDelayMs(attempt: number, baseMs: number, maxMs = 5 * 60_000): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}
