import { builtOnce, placeholders } from '../../platform/db/prepared.ts';
import type { NotificationChannel } from './ports.ts';
import { emailOutbox } from './schema.ts';

/** Every mailed notification writes one: built once. */
const queueEmail = builtOnce<
  Pick<typeof emailOutbox.$inferInsert, 'notificationId' | 'toAddress' | 'subject' | 'body'>
>()((db) =>
  db.insert(emailOutbox).values(placeholders('notificationId', 'toAddress', 'subject', 'body')),
);

/**
 * Queues an email in `notifications.email_outbox`, standing in for SMTP: a mailer would send the
 * rows and set `sent_at`. Writing in the handler's transaction means no mail for a rolled-back
 * notification and no lost mail for a committed one.
 */
export function emailOutboxChannel(): NotificationChannel {
  return {
    name: 'email',
    reaches: (recipient) => recipient !== undefined,
    async deliver(tx, notification, recipient) {
      if (!recipient) throw new Error(`notification ${notification.id} has no address to mail`);
      await queueEmail(tx, {
        notificationId: notification.id,
        toAddress: recipient.email,
        subject: notification.title,
        body: `Hello ${recipient.username},\n\n${notification.body}\n`,
      });
    },
  };
}
