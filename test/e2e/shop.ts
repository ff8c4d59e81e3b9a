import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { ApiClient } from './client.ts';
import { berlin } from './running-monolith.ts';

export interface Order {
  id: string;
  status: string;
  cancelReason: string | null;
  paymentId: string | null;
  shipmentId: string | null;
  total: { amountMinor: number; currency: string };
}
export interface Stock {
  onHand: number;
  reserved: number;
  available: number;
}

/** Steps a shopper or an operator takes, over the public HTTP API only. */
export function shop(api: ApiClient) {
  return {
    adminToken: () => api.login('admin', 'admin-password'),

    async newCustomer(): Promise<{ id: string; token: string; username: string }> {
      const username = `shopper_${randomUUID().slice(0, 8)}`;
      const registered = await api.post<{ id: string }>('/api/users', {
        username,
        email: `${username}@example.com`,
        password: 'shopper-password',
      });
      expect(registered.status).toBe(201);
      return {
        id: registered.body.id,
        username,
        token: await api.login(username, 'shopper-password'),
      };
    },

    async newProduct(
      adminToken: string,
      amountMinor: number,
      initialStock: number,
    ): Promise<string> {
      const created = await api.post<{ id: string }>(
        '/api/products',
        {
          sku: `E2E-${randomUUID().slice(0, 8)}`,
          name: 'End-to-end kettle',
          description: 'made by a test',
          price: { amountMinor, currency: 'EUR' },
          initialStock,
        },
        adminToken,
      );
      expect(created.status).toBe(201);
      return created.body.id;
    },

    async placeOrder(
      token: string,
      items: Array<{ productId: string; quantity: number }>,
      options: { key?: string; cardToken?: string; country?: string } = {},
    ) {
      return api.post<Order>(
        '/api/orders',
        {
          items,
          shippingAddress: { ...berlin, country: options.country ?? berlin.country },
          ...(options.cardToken && { cardToken: options.cardToken }),
        },
        token,
        { 'idempotency-key': options.key ?? randomUUID() },
      );
    },

    stock: async (productId: string) =>
      (await api.get<Stock>(`/api/products/${productId}/stock`)).body,

    async history(orderId: string, token: string) {
      const reply = await api.get<{
        entries: Array<{ from: string | null; to: string; detail: string | null }>;
      }>(`/api/orders/${orderId}/history`, token);
      return reply.body.entries;
    },
  };
}
