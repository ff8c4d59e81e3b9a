// Envoy's retry budget: retries in flight may not exceed a share of the calls in flight, so an
// upstream in trouble sees at most that much extra load from retries. A small floor per second
// lets a quiet upstream (one call at a time) still retry.

export interface RetryBudgetOptions {
  /** Retries in flight ≤ ratio × calls in flight. */
  ratio: number;
  /** Retries per second allowed whatever the ratio says. */
  minPerSecond: number;
}

export class RetryBudget {
  /** Calls in flight (first attempts and retries alike). */
  active = 0;
  /** Retries in flight: granted and not yet ended. */
  retrying = 0;
  private windowSecond = -1;
  private grantedInWindow = 0;

  private readonly options: RetryBudgetOptions;

  constructor(options: RetryBudgetOptions) {
    this.options = options;
  }

  /** Takes a retry from the budget; false when it is spent (then the last outcome stands). */
  tryRetry(now: number): boolean {
    if (this.retrying < this.options.ratio * this.active) {
      this.retrying++;
      return true;
    }
    const second = Math.floor(now / 1000);
    if (second !== this.windowSecond) {
      this.windowSecond = second;
      this.grantedInWindow = 0;
    }
    if (this.grantedInWindow >= this.options.minPerSecond) return false;
    this.grantedInWindow++;
    this.retrying++;
    return true;
  }

  /** The retry granted by tryRetry has ended, whatever its outcome. */
  retryEnded(): void {
    this.retrying--;
  }
}

/** Full jitter (AWS's "Exponential Backoff And Jitter"): random(0, min(max, base · 2^n)). */
export function backoffDelay(retry: number, baseDelayMs: number, maxDelayMs: number): number {
  return Math.random() * Math.min(maxDelayMs, baseDelayMs * 2 ** retry);
}
