import type { Transaction } from '../db/database.ts';
import type { EventEnvelope } from './event-contract.ts';

/** How committed outbox events reach subscribers: in-process, or through BullMQ queues. */
export interface Transport {
  /** Hands events over for delivery; runs inside the relay's transaction that marks them sent. */
  fanOut(tx: Transaction, envelopes: EventEnvelope[]): Promise<void>;
  /** Called after the relay's transaction committed. */
  dispatched(): void;
  /** Delivers a revived dead delivery again. */
  redeliver(envelope: EventEnvelope, subscriber: string): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
