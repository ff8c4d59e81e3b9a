import type { Transaction } from '../db/database.ts';
import type { EventContract, EventEnvelope, PayloadOf } from './event-contract.ts';
import { inbox } from './schema.ts';

/** A consumer of one event. Its handler runs in the consumer's transaction, with the inbox. */
export interface Subscription<C extends EventContract = EventContract> {
  /** Stable, unique name (`<module>.<what it does>`); deliveries and the inbox are kept under it. */
  subscriber: string;
  event: C;
  handle(event: EventEnvelope<PayloadOf<C>>, tx: Transaction): Promise<void>;
  /**
   * Takes only the events other components publish: its own component's relay leaves it out,
   * as a replication subscriber would only skip the changes of its own side coming back.
   */
  othersOnly?: boolean;
}

export function subscribe<C extends EventContract>(
  subscriber: string,
  event: C,
  handle: Subscription<C>['handle'],
  options: { othersOnly?: boolean } = {},
): Subscription {
  return { subscriber, event, handle, ...options } as Subscription;
}

/** The subscriptions this component's own events are fanned out to. */
export const ownEventsGoTo = (subscriptions: readonly Subscription[]) =>
  subscriptions.filter((s) => !s.othersOnly);

/** Claims the inbox row of (subscriber, event); false when it is already there. */
async function claimInbox(tx: Transaction, subscriber: string, envelope: EventEnvelope) {
  const claimed = await tx
    .insert(inbox)
    .values({ consumer: subscriber, eventId: envelope.metadata.id })
    .onConflictDoNothing()
    .returning({ eventId: inbox.eventId });
  return claimed.length > 0;
}

/**
 * Runs the handler at most once per (subscriber, event id): the inbox row and the handler's
 * writes commit together, so a redelivered event is recognised and skipped. `claim` takes the
 * inbox row (and may write more with it). Returns false when the event had already been handled.
 */
export async function consumeOnce(
  tx: Transaction,
  subscription: Subscription,
  envelope: EventEnvelope,
  claim: (tx: Transaction) => Promise<boolean> = (inner) =>
    claimInbox(inner, subscription.subscriber, envelope),
): Promise<boolean> {
  if (!(await claim(tx))) return false;
  const payload = subscription.event.payload.parse(envelope.payload);
  await subscription.handle({ ...envelope, payload }, tx);
  return true;
}
