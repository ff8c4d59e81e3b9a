import { describe, expect, it } from 'vitest';
import type { ForwardAnswer } from '../proxy/exchange.ts';
import { compareAnswers, generalisePath } from './compare.ts';

const json = (body: unknown, status = 200): ForwardAnswer => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: new TextEncoder().encode(JSON.stringify(body)),
});
const bytes = (body: string, status = 200): ForwardAnswer => ({
  status,
  headers: { 'content-type': 'text/plain' },
  body: new TextEncoder().encode(body),
});

const payment = {
  id: 'p1',
  status: 'captured',
  amount: { amount: 1250, currency: 'EUR' },
  items: [
    { sku: 'a', createdAt: '2026-01-01T00:00:00.000Z' },
    { sku: 'b', createdAt: '2026-01-01T00:00:01.000Z' },
  ],
};

describe('comparing two answers', () => {
  it('finds two equal JSON answers equal, whatever their key order', () => {
    const reordered = {
      items: payment.items,
      amount: payment.amount,
      status: 'captured',
      id: 'p1',
    };
    expect(compareAnswers(json(payment), json(reordered))).toEqual({ equal: true, diffs: [] });
  });

  it('names each differing leaf by its path, with array indexes, and both values', () => {
    const changed = structuredClone(payment);
    changed.amount.amount = 1251;
    changed.items[1] = { sku: 'c', createdAt: payment.items[1]?.createdAt ?? '' };
    expect(compareAnswers(json(payment), json(changed))).toEqual({
      equal: false,
      diffs: [
        { path: 'amount.amount', legacy: 1250, new: 1251 },
        { path: 'items[1].sku', legacy: 'b', new: 'c' },
      ],
    });
  });

  it('reports a field missing on either side', () => {
    const { id: _, ...withoutId } = payment;
    expect(compareAnswers(json(payment), json({ ...withoutId, extra: null })).diffs).toEqual([
      { path: 'id', legacy: 'p1', new: undefined },
      { path: 'extra', legacy: undefined, new: null },
    ]);
  });

  it('tells the HTTP status from a body field named status', () => {
    const result = compareAnswers(json(payment, 200), json({ ...payment, status: 'failed' }, 201));
    expect(result.diffs).toEqual([
      { path: '@status', legacy: 200, new: 201 },
      { path: 'status', legacy: 'captured', new: 'failed' },
    ]);
  });

  it('tells an empty list from an empty object and from a missing list', () => {
    expect(compareAnswers(json({ items: [] }), json({ items: {} })).diffs).toEqual([
      { path: 'items', legacy: [], new: {} },
    ]);
    expect(compareAnswers(json({ items: [] }), json({})).diffs).toEqual([
      { path: 'items', legacy: [], new: undefined },
    ]);
    expect(compareAnswers(json({ items: [] }), json({ items: [] })).equal).toBe(true);
  });

  it('quotes keys that are not plain names, so they cannot pose as another path', () => {
    expect(compareAnswers(json({ 'a.b': 1 }), json({ 'a.b': 2 })).diffs).toEqual([
      { path: '["a.b"]', legacy: 1, new: 2 },
    ]);
    expect(compareAnswers(json([{ x: 1 }]), json([{ x: 2 }])).diffs).toEqual([
      { path: '[0].x', legacy: 1, new: 2 },
    ]);
  });

  it('reports a missing or an extra list item as one diff, and a change of kind', () => {
    const two = { items: [{ sku: 'a' }, { sku: 'b' }] };
    const one = { items: [{ sku: 'a' }] };
    expect(compareAnswers(json(two), json(one)).diffs).toEqual([
      { path: 'items[1]', legacy: { sku: 'b' }, new: undefined },
    ]);
    expect(compareAnswers(json(one), json(two)).diffs).toEqual([
      { path: 'items[1]', legacy: undefined, new: { sku: 'b' } },
    ]);
    expect(compareAnswers(json({ a: null }), json({ a: { b: 1 } })).diffs).toEqual([
      { path: 'a', legacy: null, new: { b: 1 } },
    ]);
    expect(compareAnswers(json(5), json('5')).diffs).toEqual([
      { path: '@body', legacy: 5, new: '5' },
    ]);
  });

  it('compares a body that is not JSON as bytes', () => {
    expect(compareAnswers(bytes('ok'), bytes('ok'))).toEqual({ equal: true, diffs: [] });
    expect(compareAnswers(bytes('ok'), bytes('OK')).diffs).toEqual([
      { path: '@body', legacy: 'ok', new: 'OK' },
    ]);
    expect(compareAnswers(bytes(''), json({ a: 1 })).diffs).toEqual([
      { path: '@body', legacy: '', new: '{"a":1}' },
    ]);
    expect(compareAnswers(bytes('', 204), bytes('', 204)).equal).toBe(true);
  });

  it('skips noise paths, generalised over array indexes', () => {
    const later = structuredClone(payment);
    for (const item of later.items) item.createdAt = '2026-02-02T00:00:00.000Z';
    later.id = 'p2';
    expect(generalisePath('items[3].createdAt')).toBe('items[*].createdAt');
    const result = compareAnswers(json(payment), json(later), new Set(['items[*].createdAt']));
    expect(result).toEqual({ equal: false, diffs: [{ path: 'id', legacy: 'p1', new: 'p2' }] });
    expect(
      compareAnswers(json(payment), json(later), new Set(['items[*].createdAt', 'id'])).equal,
    ).toBe(true);
  });
});
