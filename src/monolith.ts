import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { cartProductsFromCatalog } from './adapters/cart/cart-products.ts';
import { orderPlacementFromOrders } from './adapters/cart/order-placement.ts';
import { inProcessInventory } from './adapters/orders/inventory.ts';
import {
  httpPaymentGateway,
  inProcessPaymentGateway,
  paymentCaptureRoute,
  paymentGatewayAdapters,
  switchablePaymentGateway,
} from './adapters/orders/payment-gateway.ts';
import { inProcessProductPricing } from './adapters/orders/product-pricing.ts';
import { inProcessShippingScheduler } from './adapters/orders/shipping-scheduler.ts';
import { EVENT_CONSUMERS, remoteSubscribersOf } from './contracts/event-consumers.ts';
import { userTokensRevoked } from './contracts/users/v1/token-events.ts';
import { dashboardRoutes } from './dashboard/dashboard-routes.ts';
import { createCartModule } from './modules/cart/index.ts';
import { type CatalogApi, createCatalogModule } from './modules/catalog/index.ts';
import { createNotificationsModule } from './modules/notifications/index.ts';
import { createOrdersModule, type OrdersApi, type PaymentGateway } from './modules/orders/index.ts';
import { createPaymentsModule, type PaymentsApi } from './modules/payments/index.ts';
import { createShippingModule } from './modules/shipping/index.ts';
import { createUsersModule, type UsersApi } from './modules/users/index.ts';
import type { MonolithConfig } from './monolith-config.ts';
import { accessTokenVerifier } from './platform/auth/access-token-verifier.ts';
import { authenticate } from './platform/auth/authenticate.ts';
import { jwksRoutes } from './platform/auth/jwks-routes.ts';
import { publicKeySource } from './platform/auth/key-source.ts';
import { serviceCallHeaders } from './platform/auth/service-caller.ts';
import { loadServiceSigningKey } from './platform/auth/service-keys.ts';
import { serviceTokenSource } from './platform/auth/service-tokens.ts';
import { loadUsersSigningKeys, type SigningKeySet } from './platform/auth/signing-keys.ts';
import { tokenRevocations } from './platform/auth/token-revocations.ts';
import { eventAdminRoutes } from './platform/bus/admin-routes.ts';
import { defineComponent } from './platform/component/component.ts';
import {
  openComponentDatabase,
  type RunningComponent,
  startComponent,
} from './platform/component/start-component.ts';
import type { DatabaseHandle } from './platform/db/database.ts';
import { createServiceClient } from './platform/http/service-client.ts';
import type { Module, ModuleContext } from './platform/module.ts';
import { createUpstreamPolicy } from './platform/resilience/upstream-policy.ts';
import { seamAdminRoutes } from './platform/seams/admin-routes.ts';
import { remoteToggleSource } from './platform/seams/remote-toggle-source.ts';
import { createSeam } from './platform/seams/seam.ts';

/** Every module, created and wired; `all` is in start order (a module starts after what it calls). */
export interface Modules {
  all: Module[];
  catalog: Module<CatalogApi>;
  users: Module<UsersApi>;
  payments: Module<PaymentsApi>;
  orders: Module<OrdersApi>;
}

/**
 * The internal seams of the strangler fig: a port whose adapter can be another component. Given
 * the in-process adapter, each returns what the port is wired to (by default, that adapter).
 */
export interface Seams {
  payments?(inProcess: PaymentGateway): PaymentGateway;
}

/**
 * The system's parts and how they connect. Cross-module calls go through ports owned by the
 * caller; here each port gets its in-process adapter, or, at a seam, what the seam chooses. The
 * users module signs access tokens with `signingKeys`, and skips the `user.changed` events
 * `component` (default `monolith`) published.
 */
export function createModules(
  context: ModuleContext<MonolithConfig>,
  {
    signingKeys,
    seams = {},
    component = 'monolith',
  }: { signingKeys: SigningKeySet; seams?: Seams; component?: string },
): Modules {
  const users = createUsersModule(context, { signingKeys, component });
  const catalog = createCatalogModule(context);
  const payments = createPaymentsModule(context, {}, { component });
  const shipping = createShippingModule(context);
  const orders = createOrdersModule(
    context,
    {
      pricing: inProcessProductPricing(catalog.api),
      inventory: inProcessInventory(catalog.api),
      payments: (seams.payments ?? ((gateway) => gateway))(inProcessPaymentGateway(payments.api)),
      shipping: inProcessShippingScheduler(shipping.api),
    },
    {
      sagaLeaseMs: context.config.SAGA_LEASE_MS,
      recoveryIntervalMs: context.config.SAGA_RECOVERY_INTERVAL_MS,
    },
  );
  const cart = createCartModule(context, {
    products: cartProductsFromCatalog(catalog.api),
    orders: orderPlacementFromOrders(orders.api),
  });
  const notifications = createNotificationsModule(context);
  return {
    all: [users, catalog, payments, shipping, orders, cart, notifications],
    catalog,
    users,
    payments,
    orders,
  };
}

/** The monolith's migrations: one stream for every module's schema and the platform's tables. */
export const MONOLITH_MIGRATIONS = fileURLToPath(new URL('../migrations', import.meta.url));

/** The modular monolith as a component: every module, the dashboard and the event admin. */
export const monolithComponent = defineComponent<MonolithConfig>({
  name: 'monolith',
  routePrefix: '/api',
  port: (config) => ({ port: config.MONOLITH_PORT, setting: 'MONOLITH_PORT' }),
  // What it takes from the extracted services: their business events reach notifications as
  // the legacy modules' do, users-service's revocations reach the token check, and each
  // service's writes reach the legacy store (while both live).
  consumes: EVENT_CONSUMERS.monolith,
  remoteSubscribers: remoteSubscribersOf('monolith'),
  database: (config) => ({ url: config.DATABASE_URL, migrations: MONOLITH_MIGRATIONS }),
  about: {
    title: 'Commerce monolith',
    version: '1.0.0',
    description:
      'The modular monolith: users, catalog and inventory, cart, orders with the checkout saga, payments, shipping, notifications.',
    tags: [
      { name: 'users', description: 'Sign-up, sign-in (access tokens) and accounts' },
      { name: 'catalog', description: 'Products and their stock' },
      { name: 'cart', description: "The signed-in customer's cart and its checkout" },
      {
        name: 'orders',
        description: 'Orders, the checkout saga that places them, and their history',
      },
      { name: 'payments', description: 'Payments captured for orders, and refunds' },
      { name: 'shipping', description: 'Shipments of confirmed orders' },
      { name: 'notifications', description: 'Messages sent to the signed-in customer' },
      { name: 'admin', description: 'The operator dashboard' },
      { name: 'events', description: 'Event deliveries parked as dead, and their replay' },
      {
        name: 'seams',
        description: 'Which adapter each internal seam uses (in-process or an extracted service)',
      },
      { name: 'operations', description: 'What this component serves, and where' },
    ],
  },
  build(context) {
    const { component, config, bus, db, logger } = context;
    // The legacy users module is a users side: it signs with the shared users keys.
    const signingKeys = loadUsersSigningKeys(config);
    const serviceKey = loadServiceSigningKey(component, config);
    const serviceTokens = serviceTokenSource({ component, key: serviceKey });
    // The payment port's seam: the legacy module here, or payments-service over HTTP. With a
    // facade, it follows the facade's toggle of payment captures; without, its own setting.
    const seamBase = { db, name: 'payment-gateway', adapters: paymentGatewayAdapters };
    const facadeToggles =
      config.FACADE_URL === undefined
        ? undefined
        : remoteToggleSource({
            ...paymentCaptureRoute,
            url: config.FACADE_URL,
            seam: seamBase.name,
            initial: config.PAYMENT_GATEWAY,
            serviceTokens,
            logger,
          });
    const paymentSeam = createSeam(
      facadeToggles
        ? { ...seamBase, source: facadeToggles }
        : { ...seamBase, initial: config.PAYMENT_GATEWAY },
    );
    const paymentsService = createServiceClient({
      baseUrl: config.PAYMENTS_SERVICE_URL,
      timeoutMs: config.PAYMENTS_SERVICE_TIMEOUT_MS,
      headers: () => serviceCallHeaders(serviceTokens, 'payments-service'),
    });
    const wired = createModules(context, {
      signingKeys,
      component,
      seams: {
        payments: (inProcess) =>
          switchablePaymentGateway(paymentSeam, {
            'in-process': inProcess,
            http: httpPaymentGateway({
              client: paymentsService,
              policy: createUpstreamPolicy({ name: 'payments-service' }),
            }),
          }),
      },
    });
    // Revoked tokens (a password change, on either users side) are refused here too.
    const revocations = tokenRevocations({ component, db, logger, event: userTokensRevoked });
    // Public keys only: its own users side's, and the users-service's JWKS when configured.
    const verifier = accessTokenVerifier({
      issuer: config.JWT_ISSUER,
      keys: publicKeySource({ jwks: signingKeys.publicJwks(), url: config.USERS_JWKS_URL }),
      revocations: revocations.api,
    });
    return {
      modules: [revocations, ...wired.all],
      stop: async () => {
        await paymentsService.close();
        await facadeToggles?.close();
      },
      authenticate: authenticate(verifier),
      mount(app) {
        app.route(
          '/',
          jwksRoutes({
            path: '/.well-known/jwks.json',
            operationId: 'getUsersJwks',
            summary: "The users side's public keys, which verify access tokens",
            keys: signingKeys.publicJwks,
          }),
        );
        app.route(
          '/',
          jwksRoutes({
            path: '/.well-known/service-jwks.json',
            operationId: 'getServiceJwks',
            summary: "The monolith's public service key, which verifies its calls to services",
            keys: () => [serviceKey.publicJwk],
          }),
        );
        // Each source answers within its own timeout; a slow or failing one is reported, not fatal.
        app.route(
          '/api',
          dashboardRoutes(
            [
              { name: 'orders', load: () => wired.orders.api.stats() },
              { name: 'payments', load: () => wired.payments.api.stats() },
              { name: 'users', load: () => wired.users.api.stats() },
              { name: 'catalog', load: () => wired.catalog.api.stats() },
            ],
            config.DASHBOARD_SOURCE_TIMEOUT_MS,
          ),
        );
        app.route('/admin/events', eventAdminRoutes(bus));
        app.route('/admin/seams', seamAdminRoutes([paymentSeam]));
      },
      entryPoints: {
        products: '/api/products',
        signUp: '/api/users',
        login: '/api/auth/login',
        me: '/api/users/me',
        cart: '/api/cart',
        orders: '/api/orders',
        notifications: '/api/notifications',
        adminDashboard: '/api/admin/dashboard',
        deadEvents: '/admin/events/dead',
        seams: '/admin/seams',
      },
    };
  },
});

export type Monolith = RunningComponent;

/** Opens the database (PGlite unless DATABASE_URL), applies migrations, wires every module. */
export function startMonolith(config: MonolithConfig, logger: Logger): Promise<Monolith> {
  return startComponent(monolithComponent, config, logger);
}

/**
 * The monolith's database, migrated: what the commands that work on its data (db:migrate,
 * db:seed, admin:create) open.
 */
export function openMonolithDatabase(config: MonolithConfig): Promise<DatabaseHandle> {
  return openComponentDatabase(monolithComponent, config);
}
