import type { UpstreamCall } from './upstream-call.ts';
import { ClientGone, UpstreamTimeout } from './upstream-errors.ts';

// The signals of one upstream call, opened once by both upstreams (over the network, in this
// process) and watched by everything the call waits on.

/**
 * How one call ends early: its deadline passes, or its client goes away. One timer per call and
 * plain callbacks; an AbortSignal is made only when something waits on one (the pause between
 * attempts, a queue for a slot). AbortSignal.any and AbortSignal.timeout, and undici watching a
 * signal, cost several times more per request here.
 */
export interface CallSignals {
  /** The call's time ran out (rather than its client going away). */
  readonly timedOut: boolean;
  readonly aborted: boolean;
  readonly reason: unknown;
  /** Aborted with either cause. */
  readonly any: AbortSignal;
  /** Runs `abort` when the call is aborted (at once if it is); the returned function stops that. */
  onAbort(abort: (reason: unknown) => void): () => void;
  /** Clears the timer and the client listener; call once the call has settled. */
  release(): void;
}

class CallAbort implements CallSignals {
  timedOut = false;
  aborted = false;
  reason: unknown;
  #listeners: Array<(reason: unknown) => void> = [];
  #controller: AbortController | undefined;
  #timer: ReturnType<typeof setTimeout>;
  #client: AbortSignal | undefined;
  #clientGone = () => this.#abort(this.#client?.reason);

  constructor(leftMs: number, client: AbortSignal | undefined) {
    this.#timer = setTimeout(() => {
      this.timedOut = true;
      this.#abort(new DOMException('the call ran out of time', 'TimeoutError'));
    }, leftMs);
    this.#client = client;
    client?.addEventListener('abort', this.#clientGone, { once: true });
  }

  get any(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.aborted) this.#controller.abort(this.reason);
    }
    return this.#controller.signal;
  }

  onAbort(abort: (reason: unknown) => void): () => void {
    if (this.aborted) {
      abort(this.reason);
      return () => {};
    }
    this.#listeners.push(abort);
    return () => {
      const at = this.#listeners.indexOf(abort);
      if (at >= 0) this.#listeners.splice(at, 1);
    };
  }

  release() {
    clearTimeout(this.#timer);
    this.#client?.removeEventListener('abort', this.#clientGone);
  }

  #abort(reason: unknown) {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.#controller?.abort(reason);
    for (const listener of this.#listeners.splice(0)) listener(reason);
  }
}

/** The call's signals; throws when its deadline has passed or its client went away already. */
export function callSignals(name: string, call: UpstreamCall): CallSignals {
  const left = call.deadlineAt - performance.now();
  if (left <= 0) throw new UpstreamTimeout(name, `${name}: the deadline passed before the call`);
  if (call.signal?.aborted) throw new ClientGone(name, `${name}: the client went away`);
  return new CallAbort(Math.ceil(left), call.signal);
}

/** `work`'s outcome, or the call's abort if that comes first (what it waits on may not watch). */
export function untilAborted<T>(work: T | Promise<T>, signals: CallSignals): Promise<T> {
  return new Promise((resolve, reject) => {
    const stop = signals.onAbort(reject);
    Promise.resolve(work).then(
      (value) => {
        stop();
        resolve(value);
      },
      (error: unknown) => {
        stop();
        reject(error);
      },
    );
  });
}
