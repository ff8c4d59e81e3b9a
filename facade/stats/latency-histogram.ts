// A small fixed log-linear latency histogram, laid out flat so a ring of them is one typed
// array: each power of two of milliseconds is split into SUB_BINS equal bins, so a bin is at
// most 1/SUB_BINS (12.5 %) of its value wide, from 1 ms to 2^MAJORS ms (~65 s; above counts in
// the last bin). Below 1 ms is one bin.

const SUB_BINS = 8;
const MAJORS = 16;

/** Bins per histogram: one below 1 ms, SUB_BINS per power of two, one overflow. */
export const HISTOGRAM_BINS = 1 + MAJORS * SUB_BINS + 1;

/** The bin of a latency in ms. */
export function binOf(ms: number): number {
  if (!(ms >= 1)) return 0;
  const major = Math.floor(Math.log2(ms));
  if (major >= MAJORS) return HISTOGRAM_BINS - 1;
  const sub = Math.floor((ms / 2 ** major - 1) * SUB_BINS);
  return 1 + major * SUB_BINS + Math.min(sub, SUB_BINS - 1);
}

/** The upper edge of a bin in ms: what a percentile falling in it reports (never below). */
export function upperEdgeOf(bin: number): number {
  if (bin === 0) return 1;
  if (bin >= HISTOGRAM_BINS - 1) return Number.POSITIVE_INFINITY;
  const major = Math.floor((bin - 1) / SUB_BINS);
  const sub = (bin - 1) % SUB_BINS;
  return 2 ** major * (1 + (sub + 1) / SUB_BINS);
}
