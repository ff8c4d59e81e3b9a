import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { berlin } from '../e2e/running-monolith.ts';
import { type FacadeSystem, startFacadeSystem } from '../support/facade-system.ts';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.ts';
import { freePort } from '../support/free-port.ts';
import { eventually } from '../support/services.ts';

// The whole system behind its facade with payments-service reached, by the facade and by the
// monolith's seam alike, only through a fault proxy, and the few client steps the fault tests
// take at the facade (plain fetch: the facade's own document does not describe forwarded routes).

export interface Reply<T> {
  status: number;
  contentType: string;
  body: T;
}

export interface PaymentsBehindProxy {
  facade: FacadeSystem;
  proxy: FaultProxy;
  stop(): Promise<void>;
}

/** The system, payments-service on a port of its own and everyone else reaching it via `proxy`. */
export async function startWithPaymentsBehindProxy(
  label: string,
  options: { redis?: boolean; env?: Record<string, string> } = {},
): Promise<PaymentsBehindProxy> {
  const port = await freePort();
  const proxy = await startFaultProxy({ host: '127.0.0.1', port });
  const via = `http://127.0.0.1:${proxy.port}`;
  let facade: FacadeSystem;
  try {
    facade = await startFacadeSystem(label, {
      ...options,
      env: {
        PAYMENTS_SERVICE_PORT: String(port),
        PAYMENTS_SERVICE_URL: via,
        FACADE_PAYMENTS_SERVICE_URLS: via,
        ...options.env,
      },
    });
  } catch (error) {
    await proxy.close();
    throw error;
  }
  return {
    facade,
    proxy,
    async stop() {
      await facade.stop();
      await proxy.close();
    },
  };
}

/** A client of the facade: JSON in, status and JSON (or problem+json) out. */
export function facadeClient(baseUrl: string) {
  async function call<T>(
    method: string,
    path: string,
    options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Reply<T>> {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        ...(options.body !== undefined && { 'content-type': 'application/json' }),
        ...(options.token && { authorization: `Bearer ${options.token}` }),
        ...options.headers,
      },
      ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      contentType: response.headers.get('content-type') ?? '',
      body: (text ? JSON.parse(text) : undefined) as T,
    };
  }
  const client = {
    call,
    get: <T>(path: string, token?: string) => call<T>('GET', path, { token }),
    async login(login: string, password: string): Promise<string> {
      const reply = await call<{ accessToken: string }>('POST', '/api/auth/login', {
        body: { login, password },
      });
      expect(reply.status).toBe(200);
      return reply.body.accessToken;
    },
    /** Moves a route at the facade, forced (the test's traffic has no parity behind it). */
    async move(admin: string, routeId: string, mode: string, percentage?: number) {
      const reply = await call<{ mode: string; version: number }>(
        'PUT',
        `/_facade/api/routes/${routeId}`,
        {
          token: admin,
          body: {
            mode,
            ...(percentage !== undefined && { percentage }),
            reason: `fault test: ${mode}`,
            force: true,
          },
        },
      );
      expect([reply.status, reply.body.mode]).toEqual([200, mode]);
      return reply.body;
    },
    /** Waits until the monolith's payment seam follows the facade's payments.write.capture. */
    async seamFollows(admin: string, adapter: 'http' | 'in-process') {
      await eventually(async () => {
        const seams = await call<{ items: Array<{ adapter: string }> }>('GET', '/admin/seams', {
          token: admin,
        });
        expect(seams.body.items[0]?.adapter).toBe(adapter);
      });
    },
  };
  return client;
}
export type FacadeClient = ReturnType<typeof facadeClient>;

export interface Order {
  id: string;
  status: string;
  cancelReason: string | null;
  paymentId: string | null;
}

/** A shopper with a product to buy, made through the facade. */
export async function shopper(client: FacadeClient, admin: string, stock = 1_000) {
  const username = `shopper_${randomUUID().slice(0, 8)}`;
  const registered = await client.call<{ id: string }>('POST', '/api/users', {
    body: { username, email: `${username}@example.com`, password: 'shopper-password' },
  });
  expect(registered.status).toBe(201);
  const token = await client.login(username, 'shopper-password');
  const product = await client.call<{ id: string }>('POST', '/api/products', {
    token: admin,
    body: {
      sku: `FAULT-${randomUUID().slice(0, 8)}`,
      name: 'Fault-tested kettle',
      description: 'made by a test',
      price: { amountMinor: 2_100, currency: 'EUR' },
      initialStock: stock,
    },
  });
  expect(product.status).toBe(201);
  return {
    userId: registered.body.id,
    token,
    productId: product.body.id,
    /** Places one order of one unit, with a fresh Idempotency-Key. */
    place: (key: string = randomUUID()) =>
      client.call<Order>('POST', '/api/orders', {
        token,
        body: { items: [{ productId: product.body.id, quantity: 1 }], shippingAddress: berlin },
        headers: { 'idempotency-key': key },
      }),
  };
}
