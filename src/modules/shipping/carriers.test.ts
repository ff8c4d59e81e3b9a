import { describe, expect, it } from 'vitest';
import { carrierFor, newTrackingNumber } from './carriers.ts';

describe('carrierFor', () => {
  it('sends DE, AT and CH with DHL, the US with UPS and the rest with PostNL', () => {
    expect(['DE', 'AT', 'CH', 'US', 'NL', 'FR'].map(carrierFor)).toEqual([
      'DHL',
      'DHL',
      'DHL',
      'UPS',
      'PostNL',
      'PostNL',
    ]);
  });
});

describe('newTrackingNumber', () => {
  it("puts the carrier's prefix before 14 random digits", () => {
    expect(newTrackingNumber('DHL')).toMatch(/^JJD\d{14}$/);
    expect(newTrackingNumber('UPS')).toMatch(/^1Z\d{14}$/);
    expect(newTrackingNumber('PostNL')).toMatch(/^3S\d{14}$/);
    const drawn = new Set(Array.from({ length: 100 }, () => newTrackingNumber('DHL')));
    expect(drawn.size).toBe(100);
  });
});
