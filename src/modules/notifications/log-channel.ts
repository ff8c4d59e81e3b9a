import type { Logger } from 'pino';
import type { NotificationChannel } from './ports.ts';

/** Writes each notification to the log: always available, useful in development and demos. */
export function logChannel(logger: Logger): NotificationChannel {
  return {
    name: 'log',
    reaches: () => true,
    async deliver(_tx, notification, recipient) {
      logger.info(
        {
          notificationId: notification.id,
          userId: notification.userId,
          kind: notification.kind,
          to: recipient?.email,
          title: notification.title,
        },
        'notification delivered',
      );
    },
  };
}
