import { describe, expect, it } from 'vitest';
import { createSandboxProvider, SandboxProviderOutage } from './sandbox-provider.ts';

const eur = (amountMinor: number) => ({ amountMinor, currency: 'EUR' });
const reference = '0b8c0b6e-8c1f-4a55-9f0e-1f2a3b4c5d6e';

describe('sandbox provider rules', () => {
  const sandbox = createSandboxProvider({ latencyMs: 0 });

  it('approves an ordinary charge, with or without a card token', async () => {
    for (const cardToken of [undefined, 'tok_visa']) {
      const result = await sandbox.charge({ amount: eur(1999), cardToken, reference });
      expect(result).toMatchObject({
        outcome: 'approved',
        reference: expect.stringMatching(/^sbx_ch_/),
      });
    }
  });

  it('declines amounts whose minor units end in 13 for insufficient funds', async () => {
    for (const amountMinor of [13, 1013, 999913]) {
      expect(await sandbox.charge({ amount: eur(amountMinor), reference })).toEqual({
        outcome: 'declined',
        reason: 'insufficient funds',
      });
    }
    // 113 ends in 13; 1300 and 130 do not.
    expect((await sandbox.charge({ amount: eur(1300), reference })).outcome).toBe('approved');
    expect((await sandbox.charge({ amount: eur(130), reference })).outcome).toBe('approved');
  });

  it('declines the card token tok_decline', async () => {
    expect(await sandbox.charge({ amount: eur(500), cardToken: 'tok_decline', reference })).toEqual(
      {
        outcome: 'declined',
        reason: 'card declined',
      },
    );
  });

  it('throws for the card token tok_error, whatever the amount', async () => {
    await expect(
      sandbox.charge({ amount: eur(1013), cardToken: 'tok_error', reference }),
    ).rejects.toBeInstanceOf(SandboxProviderOutage);
  });

  it('always refunds', async () => {
    expect(await sandbox.refund({ reference: 'sbx_ch_x', amount: eur(500) })).toEqual({
      reference: expect.stringMatching(/^sbx_rf_/),
    });
  });

  it('waits the configured latency on every call', async () => {
    const slow = createSandboxProvider({ latencyMs: 60 });
    const started = performance.now();
    await slow.charge({ amount: eur(500), reference });
    await slow.refund({ reference: 'sbx_ch_x', amount: eur(500) });
    expect(performance.now() - started).toBeGreaterThanOrEqual(115);
  });
});
