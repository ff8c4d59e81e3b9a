import type { Logger } from 'pino';
import type { EventPublisher } from '../../platform/bus/event-bus.ts';
import type { Database } from '../../platform/db/database.ts';
import type { SagaStepName } from './contracts.ts';
import type { OrdersPorts } from './ports.ts';

/** How this process drives checkout sagas. */
export interface SagaSettings {
  /** Names this module instance; every lease it takes is `<owner>:<uuid>`, one per drive. */
  owner: string;
  /** How long a claim on a saga lasts without a step being written. */
  leaseMs: number;
  /** How long a saga whose compensation (or confirmation) failed waits before it is retried. */
  retryDelayMs: number;
  /**
   * How long a drive retries a step (or a step record) through an outage of our own
   * infrastructure, with backoff, before it postpones the saga for recovery to continue.
   */
  outageRetryMs: number;
  /** Failure injection (config.SAGA_CRASH_AFTER). */
  crashAfter: SagaStepName | undefined;
  /** How long a duplicate request waits for the first one before answering 409. */
  replayWaitMs: number;
}

/** What the orders module's use cases run on. */
export interface OrdersDeps {
  db: Database;
  events: EventPublisher;
  logger: Logger;
  ports: OrdersPorts;
  saga: SagaSettings;
  /** Order ids of the sagas this module instance is driving right now. */
  driving: Set<string>;
}
