import type { Money } from '../../platform/money.ts';

/** The provider's answer to a charge: a decline is an answer, an outage is a thrown error. */
export type ChargeResult =
  | { outcome: 'approved'; reference: string }
  | { outcome: 'declined'; reason: string };

/**
 * What a provider throws when it refused a charge before charging anything (it is down and
 * says so, or it turned the request away unprocessed): nothing was charged under the reference.
 * Only this error is taken as "not charged"; the sandbox's `tok_error` outage is one.
 */
export class NotCharged extends Error {
  override name = 'NotCharged';
}

/**
 * The card processor payments talks to. A charge that fails throws: NotCharged when the
 * provider says nothing was charged; any other error (a timeout of its own, a dropped
 * connection, an answer it cannot read) means the outcome is unknown, since the charge may have
 * gone through. Payments answers both with a 503, and asks again about an unknown one.
 */
export interface PaymentProvider {
  /**
   * `reference` is the order id, the provider's idempotency key: a repeated charge with it (a
   * capture finishing one that was interrupted, or whose answer never came) gets the first
   * answer and charges nothing more.
   */
  charge(request: { amount: Money; cardToken?: string; reference: string }): Promise<ChargeResult>;
  /**
   * Gives back `amount` of the charge `reference`, once: refunding the charge again returns
   * the first refund. Returns the refund's own reference.
   */
  refund(request: { reference: string; amount: Money }): Promise<{ reference: string }>;
}
