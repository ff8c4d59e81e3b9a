import { z } from '@hono/zod-openapi';

// What crosses the notifications module's boundary: the REST output, and the shapes its
// channel port hands to each channel. Every TypeScript type below is inferred from these.

/** One kind per consumed event: what the customer is told about. */
export const notificationKinds = [
  'welcome',
  'order_confirmed',
  'order_cancelled',
  'payment_failed',
  'shipment_scheduled',
] as const;
export type NotificationKind = (typeof notificationKinds)[number];

/** `delivered`: every channel that could reach the user did; the log channel always can. */
export const notificationStatuses = ['delivered'] as const;

export const notificationSchema = z
  .object({
    id: z.uuid(),
    userId: z.uuid(),
    /** The event this notification tells about. */
    eventId: z.uuid(),
    kind: z.enum(notificationKinds),
    title: z.string(),
    body: z.string(),
    /** The channels it went out through, e.g. `log` and `email` (email only with a known address). */
    channels: z.array(z.string()),
    status: z.enum(notificationStatuses),
    createdAt: z.iso.datetime(),
  })
  .openapi('Notification');
export type Notification = z.infer<typeof notificationSchema>;

/** The local copy of a user's contact details, learnt from users' events. */
export const recipientSchema = z.object({
  userId: z.uuid(),
  email: z.email(),
  username: z.string(),
});
export type Recipient = z.infer<typeof recipientSchema>;

export const listNotificationsQuerySchema = z.object({
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
});
export type ListNotificationsQuery = z.infer<typeof listNotificationsQuerySchema>;

export const notificationPageSchema = z
  .object({
    items: z.array(notificationSchema),
    page: z.number().int(),
    pageSize: z.number().int(),
    total: z.number().int(),
  })
  .openapi('NotificationPage');
export type NotificationPage = z.infer<typeof notificationPageSchema>;
