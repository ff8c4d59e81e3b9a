import type { PaymentProvider } from '../../../src/modules/payments/ports.ts';
import { createSandboxProvider } from '../../../src/modules/payments/sandbox-provider.ts';
import type { Money } from '../../../src/platform/money.ts';

/**
 * A PaymentProvider for tests: the sandbox's rules, plus a record of every charge and refund
 * that reached the provider, so a test can count what would have been charged.
 */
export function createRecordingProvider(options: { latencyMs?: number } = {}) {
  const sandbox = createSandboxProvider({ latencyMs: options.latencyMs ?? 0 });
  const charges: { reference: string; amount: Money; cardToken?: string | undefined }[] = [];
  const refunds: { reference: string; amount: Money }[] = [];
  const provider: PaymentProvider = {
    async charge(request) {
      charges.push({ ...request });
      return sandbox.charge(request);
    },
    async refund(request) {
      refunds.push({ ...request });
      return sandbox.refund(request);
    },
  };
  return { provider, charges, refunds };
}
