import type { EventEnvelope } from './event-contract.ts';

/** A component's bus, as the broker hands it events: it records them in its own database. */
export interface BrokerConsumer {
  /** The subscriber names this bus consumes for. */
  subscribers: readonly string[];
  /** Records a delivery of each envelope for each subscriber (its own rows); idempotent. */
  accept(deliveries: ReadonlyArray<{ envelope: EventEnvelope; subscriber: string }>): Promise<void>;
}

/** A subscriber the code declares but whose component has not joined the broker (yet). */
export class ConsumerNotAttached extends Error {
  override name = 'ConsumerNotAttached';
}

/**
 * What the components of one process share without Redis: each component's bus joins with the
 * subscribers it consumes for, and a publisher's relay hands each event to the bus of every
 * subscriber, which records the delivery in ITS OWN database before the publisher marks the
 * event dispatched. A subscriber that is declared but not attached (its component not started,
 * or stopped) fails the hand-over, so the event stays in the outbox until it can be recorded.
 */
export interface InProcessBroker {
  /** Joins; returns the function that leaves. */
  attach(consumer: BrokerConsumer): () => void;
  /** Resolves once every subscriber's delivery is recorded in its own component's database. */
  handOver(
    deliveries: ReadonlyArray<{ envelope: EventEnvelope; subscriber: string }>,
  ): Promise<void>;
}

export function createInProcessBroker(): InProcessBroker {
  const consumerOf = new Map<string, BrokerConsumer>();
  return {
    attach(consumer) {
      for (const subscriber of consumer.subscribers) {
        const other = consumerOf.get(subscriber);
        if (other && other !== consumer) {
          throw new Error(`subscriber ${subscriber} is already attached by another bus`);
        }
        consumerOf.set(subscriber, consumer);
      }
      return () => {
        for (const subscriber of consumer.subscribers) {
          if (consumerOf.get(subscriber) === consumer) consumerOf.delete(subscriber);
        }
      };
    },
    async handOver(deliveries) {
      const byConsumer = new Map<BrokerConsumer, Array<(typeof deliveries)[number]>>();
      for (const delivery of deliveries) {
        const consumer = consumerOf.get(delivery.subscriber);
        if (!consumer) {
          throw new ConsumerNotAttached(
            `no bus in this process consumes for ${delivery.subscriber} yet; ${delivery.envelope.name} ${delivery.envelope.metadata.id} stays in the outbox`,
          );
        }
        byConsumer.set(consumer, [...(byConsumer.get(consumer) ?? []), delivery]);
      }
      await Promise.all([...byConsumer].map(([consumer, batch]) => consumer.accept(batch)));
    },
  };
}
