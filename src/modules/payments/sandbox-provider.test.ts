import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { NotCharged } from './ports.ts';
import { createSandboxProvider, SandboxProviderOutage } from './sandbox-provider.ts';

const eur = (amountMinor: number) => ({ amountMinor, currency: 'EUR' });
// Every charge below is for another order: the sandbox answers a repeated reference alike.
const order = () => randomUUID();

describe('sandbox provider rules', () => {
  const sandbox = createSandboxProvider({ latencyMs: 0 });

  it('approves an ordinary charge, with or without a card token', async () => {
    for (const cardToken of [undefined, 'tok_visa']) {
      const result = await sandbox.charge({ amount: eur(1999), cardToken, reference: order() });
      expect(result).toMatchObject({
        outcome: 'approved',
        reference: expect.stringMatching(/^sbx_ch_/),
      });
    }
  });

  it('declines amounts whose minor units end in 13 for insufficient funds', async () => {
    for (const amountMinor of [13, 1013, 999913]) {
      expect(await sandbox.charge({ amount: eur(amountMinor), reference: order() })).toEqual({
        outcome: 'declined',
        reason: 'insufficient funds',
      });
    }
    // 113 ends in 13; 1300 and 130 do not.
    expect((await sandbox.charge({ amount: eur(1300), reference: order() })).outcome).toBe(
      'approved',
    );
    expect((await sandbox.charge({ amount: eur(130), reference: order() })).outcome).toBe(
      'approved',
    );
  });

  it('declines the card token tok_decline', async () => {
    expect(
      await sandbox.charge({ amount: eur(500), cardToken: 'tok_decline', reference: order() }),
    ).toEqual({
      outcome: 'declined',
      reason: 'card declined',
    });
  });

  it('throws for the card token tok_error, whatever the amount: a definite NotCharged', async () => {
    const charge = sandbox.charge({
      amount: eur(1013),
      cardToken: 'tok_error',
      reference: order(),
    });
    await expect(charge).rejects.toBeInstanceOf(SandboxProviderOutage);
    await expect(charge).rejects.toBeInstanceOf(NotCharged);
  });

  it('always refunds', async () => {
    expect(await sandbox.refund({ reference: 'sbx_ch_x', amount: eur(500) })).toEqual({
      reference: expect.stringMatching(/^sbx_rf_/),
    });
  });
});

describe('sandbox provider idempotency', () => {
  const sandbox = createSandboxProvider({ latencyMs: 0 });

  it('answers a repeated charge reference with its first answer, and another one anew', async () => {
    const reference = order();
    const first = await sandbox.charge({ amount: eur(700), cardToken: 'tok_visa', reference });
    expect(first).toMatchObject({ outcome: 'approved' });
    const [again, meanwhile] = await Promise.all([
      sandbox.charge({ amount: eur(700), cardToken: 'tok_visa', reference }),
      sandbox.charge({ amount: eur(700), cardToken: 'tok_visa', reference }),
    ]);
    expect(again).toEqual(first);
    expect(meanwhile).toEqual(first);
    expect(await sandbox.charge({ amount: eur(700), reference: order() })).not.toEqual(first);

    const declined = order();
    const decline = await sandbox.charge({ amount: eur(1013), reference: declined });
    expect(await sandbox.charge({ amount: eur(1013), reference: declined })).toEqual(decline);
  });

  it('does not remember an outage: a retry under the reference gets a real answer', async () => {
    const reference = order();
    await expect(
      sandbox.charge({ amount: eur(700), cardToken: 'tok_error', reference }),
    ).rejects.toBeInstanceOf(SandboxProviderOutage);
    expect(
      await sandbox.charge({ amount: eur(700), cardToken: 'tok_visa', reference }),
    ).toMatchObject({ outcome: 'approved' });
  });

  it('refunds a charge once: a repeated refund returns the first', async () => {
    const first = await sandbox.refund({ reference: 'sbx_ch_once', amount: eur(500) });
    expect(await sandbox.refund({ reference: 'sbx_ch_once', amount: eur(500) })).toEqual(first);
    expect(await sandbox.refund({ reference: 'sbx_ch_other', amount: eur(500) })).not.toEqual(
      first,
    );
  });

  it('waits the configured latency on every call', async () => {
    const slow = createSandboxProvider({ latencyMs: 60 });
    const started = performance.now();
    await slow.charge({ amount: eur(500), reference: order() });
    await slow.refund({ reference: 'sbx_ch_x', amount: eur(500) });
    expect(performance.now() - started).toBeGreaterThanOrEqual(115);
  });
});
