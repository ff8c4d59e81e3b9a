import type { PaymentProvider } from '../../../src/modules/payments/ports.ts';
import { createRecordingProvider } from './recording-provider.ts';

/** What a provider client throws when the answer to a request it sent never came. */
export class ProviderTimeout extends Error {
  readonly code = 'ETIMEDOUT';
  override name = 'ProviderTimeout';
}

/**
 * A recording provider (the sandbox's rules, every call counted) that misbehaves on cue, the
 * way a remote one can after it has charged:
 * - `loseAnswers(n)`: the next n charges go through (money is taken), then their answer is lost
 *   and the call throws a timeout;
 * - `hang(n)`: the next n charges go through, then their answer never comes (the call never
 *   settles).
 * Whoever asks again under the same reference gets the first answer, as from a real provider.
 */
export function createUnreliableProvider() {
  const recording = createRecordingProvider();
  let toLose = 0;
  let toHang = 0;
  const provider: PaymentProvider = {
    async charge(request) {
      const answer = await recording.provider.charge(request);
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
    refund: (request) => recording.provider.refund(request),
  };
  return {
    ...recording,
    provider,
    loseAnswers(count: number) {
      toLose = count;
    },
    hang(count: number) {
      toHang = count;
    },
  };
}
