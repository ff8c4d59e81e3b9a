import type { Money } from '../../platform/money.ts';

/** The provider's answer to a charge: a decline is an answer, an outage is a thrown error. */
export type ChargeResult =
  | { outcome: 'approved'; reference: string }
  | { outcome: 'declined'; reason: string };

/**
 * The card processor payments talks to. Implementations throw when the provider cannot be
 * reached or answers garbage (including their own timeouts); payments turns that into a 503.
 */
export interface PaymentProvider {
  /**
   * `reference` is the order id, the provider's idempotency key: a repeated charge with it (a
   * capture finishing one that was interrupted) gets the first answer and charges nothing more.
   */
  charge(request: { amount: Money; cardToken?: string; reference: string }): Promise<ChargeResult>;
  /**
   * Gives back `amount` of the charge `reference`, once: refunding the charge again returns
   * the first refund. Returns the refund's own reference.
   */
  refund(request: { reference: string; amount: Money }): Promise<{ reference: string }>;
}
