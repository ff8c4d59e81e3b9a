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
   * `reference` is the order id: a real provider uses it as its idempotency key, so a retry
   * after an unclear outcome cannot charge twice at the provider either.
   */
  charge(request: { amount: Money; cardToken?: string; reference: string }): Promise<ChargeResult>;
  /** Gives back `amount` of the charge `reference`; returns the refund's own reference. */
  refund(request: { reference: string; amount: Money }): Promise<{ reference: string }>;
}
