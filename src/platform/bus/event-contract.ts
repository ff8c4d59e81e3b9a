import { z } from 'zod';

/** A versioned event: its name, version and the zod schema of its payload. */
export interface EventContract<
  Name extends string = string,
  Payload extends z.ZodType = z.ZodType,
> {
  name: Name;
  version: number;
  payload: Payload;
  description: string;
}

export function defineEvent<const Name extends string, Payload extends z.ZodType>(
  contract: EventContract<Name, Payload>,
): EventContract<Name, Payload> {
  return contract;
}

export const eventMetadataSchema = z.object({
  id: z.uuid(),
  occurredAt: z.iso.datetime(),
  /** The request or process that started the chain of work. */
  correlationId: z.string(),
  /** The event (or request) that directly caused this one. */
  causationId: z.string().nullable(),
  traceId: z.string(),
  /**
   * The component that published it (`monolith`, `payments-service`, …): the origin marker
   * that lets a component keeping two stores in step skip the events it wrote itself.
   */
  origin: z.string().optional(),
});

export type EventMetadata = z.infer<typeof eventMetadataSchema>;

/** What travels: the contract's identity, the validated payload and the metadata. */
export const eventEnvelopeSchema = z.object({
  name: z.string(),
  version: z.number().int().positive(),
  payload: z.unknown(),
  metadata: eventMetadataSchema,
});

export type EventEnvelope<Payload = unknown> = Omit<
  z.infer<typeof eventEnvelopeSchema>,
  'payload'
> & {
  payload: Payload;
};

export type PayloadOf<C extends EventContract> = z.infer<C['payload']>;

/** Where an event comes from; handlers pass their event on so chains keep one correlation id. */
export interface EventContext {
  correlationId?: string;
  causationId?: string | null;
  traceId?: string;
}

export function contextFromEvent(event: EventEnvelope): EventContext {
  return {
    correlationId: event.metadata.correlationId,
    causationId: event.metadata.id,
    traceId: event.metadata.traceId,
  };
}
