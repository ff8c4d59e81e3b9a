import type { Transaction } from '../../platform/db/database.ts';
import type { Notification, Recipient } from './contracts.ts';

/**
 * A way to reach a user. Channels run inside the consumer's transaction: a channel that throws
 * rolls the notification back and the event is retried, so a channel's own writes (an outbox
 * row) commit with it or not at all. Side effects outside the database may repeat on a retry.
 */
export interface NotificationChannel {
  /** Stable, short (`log`, `email`); recorded on each notification it delivered. */
  name: string;
  /**
   * Delivers one notification. Returns false when this channel cannot reach the recipient
   * (no known address), true when it delivered.
   */
  deliver(tx: Transaction, notification: Notification, recipient?: Recipient): Promise<boolean>;
}
