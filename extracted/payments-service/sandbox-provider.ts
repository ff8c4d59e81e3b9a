import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type ChargeRequest,
  type ChargeResult,
  NotCharged,
  type PaymentProvider,
} from './provider.ts';

/*
 * payments-service's sandbox provider: no money moves. The same rules as the legacy module's
 * sandbox, checked in this order:
 *
 *   1. card token `tok_error`              → throws NotCharged (an outage that charged nothing:
 *                                            503 provider-unavailable, nothing recorded)
 *   2. card token `tok_decline`            → declined, reason 'card declined'
 *   3. amount_minor ending in 13           → declined, reason 'insufficient funds'
 *   4. anything else (card or default)     → approved, reference `sbx_ch_<uuid>`
 *
 * Refunds are always approved (`sbx_rf_<uuid>`). A charge under a reference it has seen gets the
 * first answer again (an outage is not remembered), a charge is refunded once, and every call
 * first waits PAYMENTS_SERVICE_SANDBOX_LATENCY_MS.
 */

export const SANDBOX_ERROR_TOKEN = 'tok_error';
export const SANDBOX_DECLINE_TOKEN = 'tok_decline';

/** How many answers the sandbox remembers; the oldest are forgotten first. */
const REMEMBERED = 10_000;

export class SandboxProviderOutage extends NotCharged {
  constructor() {
    super('sandbox payment provider outage (card token tok_error)');
    this.name = 'SandboxProviderOutage';
  }
}

/**
 * The sandbox's rules (above) as a pure function: what a charge of this request gets, before any
 * reference is made up. The charge and a dry run (which asks no provider) both decide by it.
 */
export type SandboxDecision =
  | { outcome: 'approved' }
  | { outcome: 'declined'; reason: string }
  | { outcome: 'outage' };

export function decideSandboxCharge({
  amount,
  cardToken,
}: Pick<ChargeRequest, 'amount' | 'cardToken'>): SandboxDecision {
  if (cardToken === SANDBOX_ERROR_TOKEN) return { outcome: 'outage' };
  if (cardToken === SANDBOX_DECLINE_TOKEN) return { outcome: 'declined', reason: 'card declined' };
  if (amount.amount_minor % 100 === 13)
    return { outcome: 'declined', reason: 'insufficient funds' };
  return { outcome: 'approved' };
}

/** The sandbox's reference of a charge, and of a refund. */
export const sandboxChargeReference = () => `sbx_ch_${randomUUID()}`;
export const sandboxRefundReference = () => `sbx_rf_${randomUUID()}`;

function rememberedAnswers<T>() {
  const answers = new Map<string, Promise<T>>();
  return (key: string, answer: () => Promise<T>): Promise<T> => {
    const known = answers.get(key);
    if (known) return known;
    const fresh = answer();
    answers.set(key, fresh);
    // An outage is forgotten, so a retry under the same key gets a real answer.
    fresh.catch(() => answers.delete(key));
    if (answers.size > REMEMBERED) {
      const oldest = answers.keys().next().value;
      if (oldest !== undefined) answers.delete(oldest);
    }
    return fresh;
  };
}

export function createSandboxProvider(options: { latencyMs: number }): PaymentProvider {
  const wait = () => (options.latencyMs > 0 ? sleep(options.latencyMs) : Promise.resolve());
  const charges = rememberedAnswers<ChargeResult>();
  const refunds = rememberedAnswers<{ reference: string }>();
  return {
    async charge({ amount, cardToken, reference }) {
      await wait();
      return charges(reference, async (): Promise<ChargeResult> => {
        const decision = decideSandboxCharge({ amount, cardToken });
        if (decision.outcome === 'outage') throw new SandboxProviderOutage();
        if (decision.outcome === 'declined') return decision;
        return { outcome: 'approved', reference: sandboxChargeReference() };
      });
    },
    async refund({ reference }) {
      await wait();
      return refunds(reference, async () => ({ reference: sandboxRefundReference() }));
    },
  };
}
