import type { DeadRecord } from './delivery-log.ts';
import type { EventEnvelope } from './event-contract.ts';

/** An outbox event a relay has claimed for hand-over. */
export interface ClaimedEvent {
  envelope: EventEnvelope;
  /**
   * Set when the event was handed over through Redis before and re-opened because Redis lost
   * its data: the subscribers it was queued for then. Those whose delivery is already settled
   * are not sent it again.
   */
  handedTo: string[] | null;
}

/** What a hand-over went into, for the relay's mark. */
export interface HandOver {
  redis?: {
    /** The Redis epoch whose queues hold the jobs; the mark holds only while it is current. */
    prefix: string;
    epoch: string;
    /** The subscribers queued for, by event name. */
    subscribersOf: ReadonlyMap<string, readonly string[]>;
  };
}

/**
 * How committed outbox events reach subscribers: in-process, or through BullMQ queues. The
 * relay calls no transport method inside a database transaction.
 */
export interface Transport {
  /** Runs before each relay run (BullMQ: finds out whether Redis lost its data, and recovers). */
  beforeRelay(): Promise<void>;
  /**
   * Records a delivery for every subscriber known to the code (in-process: delivery rows;
   * BullMQ: a job per subscriber queue); resolves only once all of them are recorded.
   */
  fanOut(events: ClaimedEvent[]): Promise<HandOver>;
  /** Called once the relay has marked a batch dispatched. */
  dispatched(): void;
  /**
   * Gives a dead delivery a fresh set of attempts and delivers it again. If this fails on the
   * way, the delivery is left dead, so it can be replayed again: it is never left pending with
   * nothing behind it.
   */
  redeliver(dead: DeadRecord): Promise<void>;
  start(): Promise<void>;
  /** Stops consuming; deliveries in flight get up to `graceMs` to finish. */
  stop(graceMs: number): Promise<void>;
}
