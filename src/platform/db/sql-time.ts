import { type Placeholder, type SQL, sql } from 'drizzle-orm';

// Times for leases, claims and retention windows, on the database's clock: every process shares
// that one, where the processes' own clocks may drift apart. bigint, so a window of more than
// 24.8 days (2^31 ms) does not overflow.

const millis = (ms: number | Placeholder): SQL =>
  sql`(${typeof ms === 'number' ? Math.round(ms) : ms}::bigint * interval '1 millisecond')`;

/** The time `ms` from now (a placeholder in a statement built once: its value whole ms). */
export const fromNow = (ms: number | Placeholder): SQL => sql`now() + ${millis(ms)}`;

/** The time `ms` ago. */
export const ago = (ms: number): SQL => sql`now() - ${millis(ms)}`;
