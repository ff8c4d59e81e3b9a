import { type SQL, sql } from 'drizzle-orm';

// Times for leases, claims and retention windows, on the database's clock: every process shares
// that one, where the processes' own clocks may drift apart. bigint, so a window of more than
// 24.8 days (2^31 ms) does not overflow.

const millis = (ms: number): SQL => sql`(${Math.round(ms)}::bigint * interval '1 millisecond')`;

/** The time `ms` from now. */
export const fromNow = (ms: number): SQL => sql`now() + ${millis(ms)}`;

/** The time `ms` ago. */
export const ago = (ms: number): SQL => sql`now() - ${millis(ms)}`;
