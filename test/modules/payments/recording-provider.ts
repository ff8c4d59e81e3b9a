import type { ChargeResult, PaymentProvider } from '../../../src/modules/payments/ports.ts';
import { createSandboxProvider } from '../../../src/modules/payments/sandbox-provider.ts';
import type { Money } from '../../../src/platform/money.ts';

/**
 * A PaymentProvider for tests: the sandbox's rules, plus a record of every charge and refund
 * call that reached the provider and of what it answered, so a test can count what would
 * have been charged (the sandbox answers a repeated reference without charging again).
 */
export function createRecordingProvider(options: { latencyMs?: number } = {}) {
  const sandbox = createSandboxProvider({ latencyMs: options.latencyMs ?? 0 });
  const charges: { reference: string; amount: Money; cardToken?: string | undefined }[] = [];
  const refunds: { reference: string; amount: Money }[] = [];
  const answers: ChargeResult[] = [];
  const refundReferences: string[] = [];
  const provider: PaymentProvider = {
    async charge(request) {
      charges.push({ ...request });
      const answer = await sandbox.charge(request);
      answers.push(answer);
      return answer;
    },
    async refund(request) {
      refunds.push({ ...request });
      const answer = await sandbox.refund(request);
      refundReferences.push(answer.reference);
      return answer;
    },
  };
  return {
    provider,
    charges,
    refunds,
    /** The charges that took money: one per approved provider reference, repeats folded. */
    moneyTaken: () =>
      [...new Set(answers.flatMap((a) => (a.outcome === 'approved' ? [a.reference] : [])))].sort(),
    /** The refunds that gave money back, repeats folded. */
    moneyReturned: () => [...new Set(refundReferences)].sort(),
  };
}
