// Who consumes which event published by ANOTHER component, by subscriber name: a fact of the
// deployment that every publisher must know, since an event counts as dispatched only once each
// of these subscribers' deliveries is recorded (BullMQ: its job queued). Kept here, beside the
// contracts every component imports, so a component started on its own knows it too. Each
// component declares its own part as `consumes`; the kernel checks it against its subscriptions.

type Consumers = Readonly<Record<string, readonly string[]>>;

export const EVENT_CONSUMERS = {
  monolith: {
    // users-service's and payments-service's business events reach notifications, as the
    // legacy modules' do; users-service's revocations reach the token check.
    'user.registered': ['notifications.on-user-registered'],
    'user.updated': ['notifications.on-user-updated'],
    'user.tokens_revoked': ['monolith.token-revocations'],
    'payment.failed': ['notifications.on-payment-failed'],
    // While both sides live, each service's writes reach the legacy stores.
    'user.changed': ['users.replicate-from-service'],
    'payment.changed': ['payments.replicate-from-service'],
  },
  'users-service': {
    'user.changed': ['users-service.replicate-from-legacy'],
  },
  'payments-service': {
    'payment.changed': ['payments-service.replicate-from-legacy'],
  },
  facade: {
    // The edge's token check refuses revoked tokens before forwarding; the catalog cache drops
    // a product's answers when the catalog changes it.
    'user.tokens_revoked': ['facade.token-revocations'],
    'product.changed': ['facade.catalog-cache'],
  },
} as const satisfies Record<string, Consumers>;

export type ComponentName = keyof typeof EVENT_CONSUMERS;

/** The subscribers of other components that `component`'s events must reach, by event name. */
export function remoteSubscribersOf(component: ComponentName): Record<string, string[]> {
  const subscribers: Record<string, string[]> = {};
  for (const [name, consumes] of Object.entries(EVENT_CONSUMERS) as Array<[string, Consumers]>) {
    if (name === component) continue;
    for (const [event, names] of Object.entries(consumes)) {
      subscribers[event] = [...new Set([...(subscribers[event] ?? []), ...names])];
    }
  }
  return subscribers;
}
