import { count, desc, eq, sql } from 'drizzle-orm';
import type { Executor, Transaction } from '../../platform/db/database.ts';
import { builtOnce, placeholderFor, placeholders } from '../../platform/db/prepared.ts';
import type {
  ListNotificationsQuery,
  Notification,
  NotificationKind,
  NotificationPage,
  Recipient,
} from './contracts.ts';
import type { Message } from './messages.ts';
import type { NotificationChannel } from './ports.ts';
import { notificationRows, recipients } from './schema.ts';

type NotificationRow = typeof notificationRows.$inferSelect;

/** The one place a notification row becomes the API's shape. */
function toNotification(row: NotificationRow): Notification {
  return {
    id: row.id,
    userId: row.userId,
    eventId: row.eventId,
    kind: row.kind,
    title: row.title,
    body: row.body,
    channels: row.channels,
    status: row.status,
    createdAt: row.createdAt.toISOString(),
  };
}

/**
 * Keeps the local copy of a user's contact details. `occurredAt` orders the updates: events
 * may arrive out of order, and an older one must not overwrite a newer address.
 */
export async function rememberRecipient(
  tx: Transaction,
  recipient: Recipient,
  occurredAt: string,
): Promise<void> {
  const versionAt = new Date(occurredAt);
  await tx
    .insert(recipients)
    .values({ ...recipient, versionAt })
    .onConflictDoUpdate({
      target: recipients.userId,
      set: { email: recipient.email, username: recipient.username, versionAt },
      setWhere: sql`${recipients.versionAt} < excluded.version_at`,
    });
}

// Every notification runs these: built once.
const recipientOf = builtOnce<{ userId: string }>()((db) =>
  db
    .select({ userId: recipients.userId, email: recipients.email, username: recipients.username })
    .from(recipients)
    .where(eq(recipients.userId, sql.placeholder('userId'))),
);
const insertNotification = builtOnce<
  Pick<typeof notificationRows.$inferInsert, 'userId' | 'eventId' | 'kind' | 'title' | 'body'>
>()((db) =>
  db
    .insert(notificationRows)
    .values(placeholders('userId', 'eventId', 'kind', 'title', 'body'))
    .onConflictDoNothing({ target: [notificationRows.eventId, notificationRows.kind] })
    .returning(),
);
const recordChannels = builtOnce<{ id: string; channels: string[] }>()((db) =>
  db
    .update(notificationRows)
    .set({ channels: placeholderFor(notificationRows.channels, 'channels') })
    .where(eq(notificationRows.id, sql.placeholder('id')))
    .returning(),
);

export interface NotifyInput {
  userId: string;
  eventId: string;
  kind: NotificationKind;
  message: Message;
}

/**
 * Stores one notification for the event and delivers it through every channel, all in the
 * consumer's transaction. Undefined when this event was already told about.
 */
export async function notify(
  tx: Transaction,
  channels: readonly NotificationChannel[],
  input: NotifyInput,
): Promise<Notification | undefined> {
  // Independent of each other: sent together, one round trip.
  const [[row], [recipient]] = await Promise.all([
    insertNotification(tx, {
      userId: input.userId,
      eventId: input.eventId,
      kind: input.kind,
      title: input.message.title,
      body: input.message.body,
    }),
    recipientOf(tx, { userId: input.userId }),
  ]);
  if (!row) return undefined;
  const stored = toNotification(row);
  const reaching = channels.filter((channel) => channel.reaches(recipient));
  // Every channel's write and the record of who delivered: sent together, one round trip.
  const [[updated]] = await Promise.all([
    recordChannels(tx, { id: row.id, channels: reaching.map((channel) => channel.name) }),
    ...reaching.map((channel) => channel.deliver(tx, stored, recipient)),
  ]);
  return toNotification(updated ?? row);
}

/** The user's own notifications, newest first. */
export async function listNotifications(
  db: Executor,
  userId: string,
  query: ListNotificationsQuery,
): Promise<NotificationPage> {
  const mine = eq(notificationRows.userId, userId);
  const [rows, totals] = await Promise.all([
    db
      .select()
      .from(notificationRows)
      .where(mine)
      // The id breaks ties so pages never overlap or skip rows.
      .orderBy(desc(notificationRows.createdAt), desc(notificationRows.id))
      .limit(query.pageSize)
      .offset((query.page - 1) * query.pageSize),
    db.select({ total: count() }).from(notificationRows).where(mine),
  ]);
  return {
    items: rows.map(toNotification),
    page: query.page,
    pageSize: query.pageSize,
    total: totals[0]?.total ?? 0,
  };
}
