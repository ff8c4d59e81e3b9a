import { randomInt } from 'node:crypto';
import type { Carrier } from './contracts.ts';

// Which carrier takes a parcel depends only on where it goes, so a replayed schedule and a
// reader of the code both know the answer without asking the database.
const carrierByCountry: Readonly<Record<string, Carrier>> = {
  DE: 'DHL',
  AT: 'DHL',
  CH: 'DHL',
  US: 'UPS',
};

const trackingPrefix: Readonly<Record<Carrier, string>> = {
  DHL: 'JJD',
  UPS: '1Z',
  PostNL: '3S',
};

/** Digits after the prefix: 10^14 numbers, so a clash is rare (and retried when it happens). */
const TRACKING_DIGITS = 14;

export function carrierFor(country: string): Carrier {
  return carrierByCountry[country] ?? 'PostNL';
}

export function newTrackingNumber(carrier: Carrier): string {
  let digits = '';
  for (let i = 0; i < TRACKING_DIGITS; i += 1) digits += randomInt(10).toString();
  return `${trackingPrefix[carrier]}${digits}`;
}
