import { randomBytes, randomUUID } from 'node:crypto';
import type { Executor } from '../db/database.ts';
import { builtOnce, placeholders } from '../db/prepared.ts';
import type { EventContext, EventContract, EventEnvelope, PayloadOf } from './event-contract.ts';
import { outbox } from './schema.ts';

type OutboxRow = Pick<EventEnvelope, 'name' | 'version' | 'payload' | 'metadata'> & { id: string };

const insertIntoOutbox = builtOnce<OutboxRow>()((db) =>
  db.insert(outbox).values(placeholders('id', 'name', 'version', 'payload', 'metadata')),
);

/**
 * Writes the event into the outbox on the caller's transaction: it is delivered only if that
 * transaction commits. The payload is validated here, so a malformed event never leaves.
 */
export async function publishEvent<C extends EventContract>(
  tx: Executor,
  contract: C,
  payload: PayloadOf<C>,
  context: EventContext = {},
  origin?: string,
): Promise<EventEnvelope<PayloadOf<C>>> {
  const id = randomUUID();
  const envelope: EventEnvelope<PayloadOf<C>> = {
    name: contract.name,
    version: contract.version,
    payload: contract.payload.parse(payload) as PayloadOf<C>,
    metadata: {
      id,
      occurredAt: new Date().toISOString(),
      correlationId: context.correlationId ?? id,
      causationId: context.causationId ?? null,
      traceId: context.traceId ?? randomBytes(16).toString('hex'),
      ...(origin && { origin }),
    },
  };
  await insertIntoOutbox(tx, { id, ...envelope });
  return envelope;
}
