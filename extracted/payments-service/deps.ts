import type { Logger } from 'pino';
import type { EventPublisher } from '../../src/platform/bus/event-bus.ts';
import type { Database } from '../../src/platform/db/database.ts';
import type { PaymentProvider } from './provider.ts';

/** How this service instance runs capture attempts. */
export interface CaptureAttempts {
  /** Names this instance in attempt tokens. */
  owner: string;
  /** Tokens of this instance's attempts that are at the provider right now. */
  inFlight: Set<string>;
  /** How long an attempt's claim holds without its heartbeat (its process died). */
  leaseMs: number;
  /** How long a capture waits for another attempt on the order before answering 503. */
  waitMs: number;
  /** How long the provider may take to answer; past it, the outcome is unknown. */
  providerTimeoutMs: number;
}

/** What the use cases run on. */
export interface PaymentsServiceDeps {
  db: Database;
  events: EventPublisher;
  provider: PaymentProvider;
  logger: Logger;
  attempts: CaptureAttempts;
}
