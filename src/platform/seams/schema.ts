import { index, integer, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { platform } from '../bus/schema.ts';

/**
 * Which adapter each internal seam (a port that can be answered in-process or by an extracted
 * service) uses now. A seam without a row uses the adapter its configuration names.
 */
export const seamSettings = platform.table('seam_settings', {
  seam: text('seam').primaryKey(),
  adapter: text('adapter').notNull(),
  /** Goes up by one with every change, so replicas can tell which setting they apply. */
  version: integer('version').notNull(),
  changedAt: timestamp('changed_at', { withTimezone: true }).notNull().defaultNow(),
  /** The admin who changed it. */
  changedBy: uuid('changed_by'),
  reason: text('reason').notNull(),
});

/**
 * The adapter a seam's piece of work (one order's payment, say) went to first: every later call
 * about it goes there too, whatever the seam says by then, so its capture, retries and refund
 * meet the same store.
 */
export const seamPins = platform.table(
  'seam_pins',
  {
    seam: text('seam').notNull(),
    key: text('key').notNull(),
    adapter: text('adapter').notNull(),
    pinnedAt: timestamp('pinned_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.seam, t.key] }), index('seam_pins_age_idx').on(t.pinnedAt)],
);
