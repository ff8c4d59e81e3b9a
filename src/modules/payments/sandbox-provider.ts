import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ChargeResult, NotCharged, type PaymentProvider } from './ports.ts';

/*
 * The built-in sandbox payment provider: no money moves. It decides by these rules, checked
 * in this order:
 *
 *   1. card token `tok_error`                        → throws NotCharged (an outage that
 *                                                      charged nothing; the API answers 503
 *                                                      with Retry-After, no row)
 *   2. card token `tok_decline`                      → declined, reason 'card declined'
 *   3. amount whose minor units end in 13            → declined, reason 'insufficient funds'
 *      (amountMinor % 100 === 13, e.g. 10.13 EUR = 1013)
 *   4. anything else, with or without a card token   → approved, reference `sbx_ch_<uuid>`
 *
 * Refunds are always approved (reference `sbx_rf_<uuid>`). Like a real provider given an
 * idempotency key, it answers a charge with a reference it has seen with the first answer
 * again and charges nothing more (an outage is not an answer: it is not remembered), and
 * refunds a charge once: refunding it again returns the first refund. Every call, charge or
 * refund, first waits PAYMENT_SANDBOX_LATENCY_MS milliseconds (default 0) to imitate a remote
 * provider.
 */

export const SANDBOX_ERROR_TOKEN = 'tok_error';
export const SANDBOX_DECLINE_TOKEN = 'tok_decline';

/** How many answers the sandbox remembers; the oldest are forgotten first. */
const REMEMBERED = 10_000;

/** A definite refusal: the sandbox charges nothing for `tok_error`. */
export class SandboxProviderOutage extends NotCharged {
  constructor() {
    super('sandbox payment provider outage (card token tok_error)');
    this.name = 'SandboxProviderOutage';
  }
}

/** Answers by key, computed once; bounded, so a long-running sandbox does not grow forever. */
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
    async charge({ amount, cardToken, reference }): Promise<ChargeResult> {
      await wait();
      return charges(reference, async () => {
        if (cardToken === SANDBOX_ERROR_TOKEN) throw new SandboxProviderOutage();
        if (cardToken === SANDBOX_DECLINE_TOKEN)
          return { outcome: 'declined', reason: 'card declined' };
        if (amount.amountMinor % 100 === 13) {
          return { outcome: 'declined', reason: 'insufficient funds' };
        }
        return { outcome: 'approved', reference: `sbx_ch_${randomUUID()}` };
      });
    },
    async refund({ reference }) {
      await wait();
      return refunds(reference, async () => ({ reference: `sbx_rf_${randomUUID()}` }));
    },
  };
}
