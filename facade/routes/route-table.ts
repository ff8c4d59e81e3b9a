import { type RouteEntryInput, type RouteTable, routeTableSchema } from './route-entry.ts';

// Every legacy route of the monolith (its OpenAPI document's operations; route-table.test.ts
// proves it). Routes with a new side start in `monolith` at 0 %; the toggle store moves them.
// The rest have no new side and stay `monolith`. A path no entry matches goes to the monolith.

const users = (
  id: string,
  method: RouteEntryInput['methods'][number],
  path: string,
  translator: NonNullable<RouteEntryInput['new']>['translator'],
): RouteEntryInput => ({
  id,
  methods: [method],
  path,
  new: { target: 'users-service', translator },
});

const payments = (
  id: string,
  method: RouteEntryInput['methods'][number],
  path: string,
  translator: NonNullable<RouteEntryInput['new']>['translator'],
  extra: Partial<RouteEntryInput> = {},
): RouteEntryInput => ({
  id,
  methods: [method],
  path,
  new: { target: 'payments-service', translator },
  ...extra,
});

const legacyOnly = (
  id: string,
  method: RouteEntryInput['methods'][number],
  path: string,
): RouteEntryInput => ({ id, methods: [method], path });

export const routeTableEntries: readonly RouteEntryInput[] = [
  // users → users-service
  users('users.write.register', 'POST', '/api/users', 'users.register'),
  users('users.write.login', 'POST', '/api/auth/login', 'users.login'),
  users('users.read.me', 'GET', '/api/users/me', 'users.get-me'),
  users('users.write.me', 'PATCH', '/api/users/me', 'users.update-me'),
  users('users.read.by-id', 'GET', '/api/users/{id}', 'users.get-user'),

  // payments → payments-service. A capture is mirrored with payments-service's dry-run header;
  // a capture's upstream call may take a card provider's round trip.
  payments('payments.write.capture', 'POST', '/api/payments', 'payments.capture', {
    mirror: 'dry-run',
    timeoutMs: 10_000,
  }),
  payments('payments.read.list', 'GET', '/api/payments', 'payments.list'),
  payments('payments.read.by-id', 'GET', '/api/payments/{id}', 'payments.get'),
  payments('payments.write.refund', 'POST', '/api/payments/{id}/refund', 'payments.refund', {
    timeoutMs: 10_000,
  }),

  // catalog
  legacyOnly('catalog.read.products', 'GET', '/api/products'),
  legacyOnly('catalog.write.product-create', 'POST', '/api/products'),
  legacyOnly('catalog.read.product-by-id', 'GET', '/api/products/{id}'),
  legacyOnly('catalog.write.product-update', 'PATCH', '/api/products/{id}'),
  legacyOnly('catalog.write.product-archive', 'DELETE', '/api/products/{id}'),
  legacyOnly('catalog.read.stock', 'GET', '/api/products/{id}/stock'),
  legacyOnly('catalog.write.stock', 'PUT', '/api/products/{id}/stock'),

  // orders
  legacyOnly('orders.write.place', 'POST', '/api/orders'),
  legacyOnly('orders.read.list', 'GET', '/api/orders'),
  legacyOnly('orders.read.by-id', 'GET', '/api/orders/{id}'),
  legacyOnly('orders.read.history', 'GET', '/api/orders/{id}/history'),
  legacyOnly('orders.write.cancel', 'POST', '/api/orders/{id}/cancel'),

  // cart
  legacyOnly('cart.read.cart', 'GET', '/api/cart'),
  legacyOnly('cart.write.item-add', 'POST', '/api/cart/items'),
  legacyOnly('cart.write.item-change', 'PATCH', '/api/cart/items/{productId}'),
  legacyOnly('cart.write.item-remove', 'DELETE', '/api/cart/items/{productId}'),
  legacyOnly('cart.write.checkout', 'POST', '/api/cart/checkout'),

  // shipping, notifications
  legacyOnly('shipping.read.by-order', 'GET', '/api/shipments/{orderId}'),
  legacyOnly('shipping.write.ship', 'POST', '/api/shipments/{orderId}/ship'),
  legacyOnly('notifications.read.list', 'GET', '/api/notifications'),

  // administration
  legacyOnly('admin.read.dashboard', 'GET', '/api/admin/dashboard'),
  legacyOnly('events.read.dead', 'GET', '/admin/events/dead'),
  legacyOnly('events.write.replay', 'POST', '/admin/events/dead/{eventId}/{subscriber}/replay'),
  legacyOnly('seams.read.list', 'GET', '/admin/seams'),
  legacyOnly('seams.write.change', 'PUT', '/admin/seams/{seam}'),

  // operations: the monolith's keys, health and metrics, the API index
  legacyOnly('operations.read.jwks', 'GET', '/.well-known/jwks.json'),
  legacyOnly('operations.read.service-jwks', 'GET', '/.well-known/service-jwks.json'),
  legacyOnly('operations.read.live', 'GET', '/health/live'),
  legacyOnly('operations.read.startup', 'GET', '/health/startup'),
  legacyOnly('operations.read.ready', 'GET', '/health/ready'),
  legacyOnly('operations.read.metrics', 'GET', '/metrics'),
  legacyOnly('operations.read.index', 'GET', '/'),
];

/** The route table, validated once when loaded: a bad entry stops the facade from starting. */
export const routeTable: RouteTable = routeTableSchema.parse(routeTableEntries);
