import { describe, expect, it } from 'vitest';
import { clientHeaders } from './forward-headers.ts';

describe('clientHeaders', () => {
  const sent = {
    accept: 'application/json',
    authorization: 'Bearer t',
    connection: 'keep-alive, x-hop',
    'x-hop': 'dropped',
    host: 'facade.local',
    'content-length': '12',
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    'x-forwarded-user': 'someone',
    'idempotency-key': 'k-1',
  };
  const kept = { accept: 'application/json', authorization: 'Bearer t', 'idempotency-key': 'k-1' };

  it("keeps the same end-to-end headers from node's parsed headers as from a Request's", () => {
    expect(clientHeaders(sent)).toEqual(kept);
    expect(clientHeaders(new Headers(sent))).toEqual(kept);
  });

  it("joins a header node kept as a list, as a Request's headers would", () => {
    expect(clientHeaders({ 'x-tag': ['a', 'b'] })).toEqual({ 'x-tag': 'a, b' });
  });
});
