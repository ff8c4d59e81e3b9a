import { describe, expect, it } from 'vitest';
import { randomHex } from './random-hex.ts';

describe('randomHex', () => {
  it('hands out ids of the asked length, never the same one, across refills of its pool', () => {
    // 1,000 trace ids take 16 KB: the 4 KiB pool is refilled several times on the way.
    const ids = Array.from({ length: 1_000 }, () => randomHex(16));
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect(randomHex(8)).toMatch(/^[0-9a-f]{16}$/);
  });
});
