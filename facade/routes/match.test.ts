import { describe, expect, it } from 'vitest';
import { allowedMethods, matchRoute } from './match.ts';
import { routeTableSchema } from './route-entry.ts';
import { routeTable } from './route-table.ts';

const idOf = (method: string, path: string) => matchRoute(routeTable, method, path)?.entry.id;

describe('matchRoute', () => {
  it('finds the entry and the path parameters', () => {
    expect(matchRoute(routeTable, 'GET', '/api/payments/p-1')).toMatchObject({
      entry: { id: 'payments.read.by-id', new: { target: 'payments-service' } },
      params: { id: 'p-1' },
    });
    expect(
      matchRoute(routeTable, 'POST', '/admin/events/dead/e1/orders.paid/replay')?.params,
    ).toEqual({ eventId: 'e1', subscriber: 'orders.paid' });
  });

  it('keeps reads and writes of one resource apart', () => {
    expect(idOf('GET', '/api/payments')).toBe('payments.read.list');
    expect(idOf('POST', '/api/payments')).toBe('payments.write.capture');
    expect(idOf('POST', '/api/payments/p-1/refund')).toBe('payments.write.refund');
  });

  it('prefers a literal segment to a parameter, whatever the table order', () => {
    expect(idOf('GET', '/api/users/me')).toBe('users.read.me');
    expect(idOf('GET', '/api/users/u-1')).toBe('users.read.by-id');
    const reversed = routeTableSchema.parse([...routeTable].reverse());
    expect(matchRoute(reversed, 'GET', '/api/users/me')?.entry.id).toBe('users.read.me');
  });

  it('answers HEAD as GET and takes any letter case of the method', () => {
    expect(idOf('HEAD', '/api/products/x')).toBe('catalog.read.product-by-id');
    expect(idOf('patch', '/api/users/me')).toBe('users.write.me');
  });

  it('ignores the query string and decodes parameters', () => {
    expect(matchRoute(routeTable, 'GET', '/api/payments/a%20b?x=1')?.params).toEqual({ id: 'a b' });
    expect(matchRoute(routeTable, 'GET', '/api/payments/%E0%A4%A')?.params).toEqual({
      id: '%E0%A4%A',
    });
  });

  it('leaves unknown paths, empty parameters and trailing slashes to the monolith', () => {
    expect(idOf('GET', '/openapi.json')).toBeUndefined();
    expect(idOf('GET', '/api/payments/')).toBeUndefined();
    expect(idOf('GET', '/api/payments/p-1/extra')).toBeUndefined();
    expect(idOf('GET', '/api/payments//refund')).toBeUndefined();
  });

  it('matches the root', () => {
    expect(idOf('GET', '/')).toBe('operations.read.index');
  });

  it('gives no entry for a known path with a method it does not take', () => {
    expect(idOf('DELETE', '/api/payments/p-1')).toBeUndefined();
  });
});

describe('allowedMethods', () => {
  it("names the methods of a known path, for a 405's Allow", () => {
    expect(allowedMethods(routeTable, '/api/payments')).toEqual(['GET', 'HEAD', 'POST']);
    expect(allowedMethods(routeTable, '/api/products/x')).toEqual([
      'DELETE',
      'GET',
      'HEAD',
      'PATCH',
    ]);
    expect(allowedMethods(routeTable, '/api/payments/p-1/refund')).toEqual(['POST']);
  });

  it('is empty for a path the table does not know', () => {
    expect(allowedMethods(routeTable, '/nowhere')).toEqual([]);
  });
});
