import type { EventPublisher } from '../../src/platform/bus/event-bus.ts';
import type { Database } from '../../src/platform/db/database.ts';
import type { IdempotencyStore } from '../../src/platform/http/idempotency/store.ts';
import type { TokenIssuer } from './token-issuer.ts';

/** What users-service's use cases run on. */
export interface AccountsDeps {
  db: Database;
  events: EventPublisher;
  tokens: TokenIssuer;
  idempotency: IdempotencyStore;
}
