import { Pool } from 'undici';

// The instances behind one upstream name: which of them may take the next call (round-robin over
// those healthy and not ejected) and the bookkeeping of outlier ejection (Envoy's consecutive
// gateway failures: N in a row and the instance sits out, longer each time it fails again).

export interface Instance {
  url: string;
  pool: Pool;
  /** As the last active health check saw it; healthy until a check says otherwise. */
  healthy: boolean;
  consecutiveFailures: number;
  /** `performance.now()` ms until which it takes no calls; 0 when in service. */
  ejectedUntil: number;
  /** Ejections since its last success: each one doubles the time out. */
  ejections: number;
}

export interface InstanceSetOptions {
  instances: string[];
  connections: number;
  ejectAfter: number;
  ejectMs: number;
  maxEjectMs: number;
}

export class InstanceSet {
  readonly all: Instance[];
  private next = 0;

  private readonly options: InstanceSetOptions;

  constructor(options: InstanceSetOptions) {
    this.options = options;
    if (options.instances.length === 0) throw new Error('an upstream needs at least one instance');
    this.all = options.instances.map((url) => ({
      url: new URL(url).origin,
      // Pipelining 1: a slow answer never holds up the calls queued behind it on a socket.
      pool: new Pool(new URL(url).origin, { connections: options.connections, pipelining: 1 }),
      healthy: true,
      consecutiveFailures: 0,
      ejectedUntil: 0,
      ejections: 0,
    }));
  }

  /** The next instance in turn that may take a call, or undefined when none may. */
  pick(now: number): Instance | undefined {
    const { all } = this;
    for (let tried = 0; tried < all.length; tried++) {
      const instance = all[this.next];
      this.next = (this.next + 1) % all.length;
      if (instance?.healthy && instance.ejectedUntil <= now) return instance;
    }
    return undefined;
  }

  succeeded(instance: Instance): void {
    instance.consecutiveFailures = 0;
    instance.ejections = 0;
  }

  failed(instance: Instance, now: number): void {
    instance.consecutiveFailures++;
    if (instance.consecutiveFailures < this.options.ejectAfter) return;
    // The last instance in service stays: with nowhere else to go, the circuit breaker decides.
    if (!this.all.some((other) => other !== instance && other.healthy && other.ejectedUntil <= now))
      return;
    const { ejectMs, maxEjectMs } = this.options;
    instance.ejectedUntil = now + Math.min(maxEjectMs, ejectMs * 2 ** instance.ejections);
    instance.ejections++;
    instance.consecutiveFailures = 0;
  }

  close(): Promise<unknown> {
    return Promise.all(this.all.map((instance) => instance.pool.close()));
  }
}
