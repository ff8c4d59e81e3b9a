import type { Amount } from '../../src/contracts/payments/v1/index.ts';

/** The provider's answer to a charge: a decline is an answer, an outage is a thrown error. */
export type ChargeResult =
  | { outcome: 'approved'; reference: string }
  | { outcome: 'declined'; reason: string };

/** What to charge at the provider: a card token, or the customer's default method (none). */
export interface ChargeRequest {
  amount: Amount;
  cardToken?: string;
  /** The order_ref: the provider's idempotency key for the charge. */
  reference: string;
}

/**
 * What a provider throws when it refused a charge before charging anything (it is down and says
 * so, or turned the request away unprocessed). Only this error means "not charged"; any other
 * failure (a timeout, a dropped connection, an answer it cannot read) leaves the outcome unknown.
 */
export class NotCharged extends Error {
  override name = 'NotCharged';
}

/** The card processor payments-service talks to. */
export interface PaymentProvider {
  /** A repeated charge under a reference gets the first answer and charges nothing more. */
  charge(request: ChargeRequest): Promise<ChargeResult>;
  /** Gives back `amount` of the charge `reference`, once; returns the refund's own reference. */
  refund(request: { reference: string; amount: Amount }): Promise<{ reference: string }>;
}
