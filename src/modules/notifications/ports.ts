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
   * Whether this channel can reach the recipient (false: no known address). Asked first, so
   * every channel's write and the record of who delivered go out together.
   */
  reaches(recipient: Recipient | undefined): boolean;
  /** Delivers one notification, to a recipient `reaches` said yes to. */
  deliver(
    tx: Transaction,
    notification: Notification,
    recipient: Recipient | undefined,
  ): Promise<void>;
}
