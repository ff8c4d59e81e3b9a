import type {
  ChargeResult,
  PaymentProvider,
} from '../../../extracted/payments-service/provider.ts';
import { createSandboxProvider } from '../../../extracted/payments-service/sandbox-provider.ts';

/** What a provider client throws when the answer to a request it sent never came. */
export class ProviderTimeout extends Error {
  readonly code = 'ETIMEDOUT';
  override name = 'ProviderTimeout';
}

/**
 * payments-service's sandbox with every call counted, misbehaving on cue as a remote provider
 * can after it has charged: `loseAnswers(n)` (the charge goes through, its answer is lost: a
 * timeout is thrown), `hang(n)` (the charge goes through, the answer never comes).
 */
export function createTestProvider(options: { latencyMs?: number } = {}) {
  const sandbox = createSandboxProvider({ latencyMs: options.latencyMs ?? 0 });
  const charges: string[] = [];
  const refunds: string[] = [];
  const approved = new Set<string>();
  let toLose = 0;
  let toHang = 0;
  const provider: PaymentProvider = {
    async charge(request) {
      charges.push(request.reference);
      const answer: ChargeResult = await sandbox.charge(request);
      if (answer.outcome === 'approved') approved.add(answer.reference);
      if (toHang > 0) {
        toHang -= 1;
        return new Promise<never>(() => {});
      }
      if (toLose > 0) {
        toLose -= 1;
        throw new ProviderTimeout(`no answer to the charge of ${request.reference}`);
      }
      return answer;
    },
    async refund(request) {
      refunds.push(request.reference);
      return sandbox.refund(request);
    },
  };
  return {
    provider,
    /** The references every charge call named, repeats included. */
    charges,
    refunds,
    /** Distinct charges that took money (the sandbox answers a repeat without charging again). */
    moneyTaken: () => [...approved].sort(),
    loseAnswers(count: number) {
      toLose = count;
    },
    hang(count: number) {
      toHang = count;
    },
  };
}
