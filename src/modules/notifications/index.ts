// The notifications module's public surface. Other code imports the module only through this file.
import { defineModule, type Module, type ModuleContext } from '../../platform/module.ts';
import { emailOutboxChannel } from './email-outbox-channel.ts';
import { logChannel } from './log-channel.ts';
import type { NotificationChannel } from './ports.ts';
import { notificationRoutes } from './routes.ts';
import { notifications } from './schema.ts';
import { notificationSubscriptions } from './subscriptions.ts';

export type { Notification, NotificationKind, Recipient } from './contracts.ts';
export type { NotificationChannel } from './ports.ts';

/** Nothing yet: other modules reach customers by publishing events, not by calling this one. */
export type NotificationsApi = Record<string, never>;

export interface NotificationsPorts {
  /** Where notifications go; the log and the email outbox unless given. */
  channels?: NotificationChannel[];
}

export function createNotificationsModule(
  context: ModuleContext,
  ports: NotificationsPorts = {},
): Module<NotificationsApi> {
  const channels = ports.channels ?? [logChannel(context.logger), emailOutboxChannel()];
  return defineModule<NotificationsApi>({
    name: 'notifications',
    schema: notifications,
    routes: notificationRoutes(context.db),
    subscriptions: notificationSubscriptions(channels),
    api: {},
  });
}
