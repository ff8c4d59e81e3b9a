import { describe, expect, it } from 'vitest';
import { requestHash } from './request-hash.ts';

describe('requestHash', () => {
  it('is the same for the same JSON whatever its key order and spacing', () => {
    expect(requestHash('POST', '/v1/x', '{"a":1,"b":{"c":2,"d":[1,2]}}')).toBe(
      requestHash('post', '/v1/x', '{ "b": { "d": [1, 2], "c": 2 }, "a": 1 }'),
    );
  });

  it('differs for another value, another path or another method', () => {
    const base = requestHash('POST', '/v1/x', '{"a":1}');
    expect(requestHash('POST', '/v1/x', '{"a":2}')).not.toBe(base);
    expect(requestHash('POST', '/v1/y', '{"a":1}')).not.toBe(base);
    expect(requestHash('PUT', '/v1/x', '{"a":1}')).not.toBe(base);
    expect(requestHash('POST', '/v1/x', '[1,2]')).not.toBe(requestHash('POST', '/v1/x', '[2,1]'));
  });

  it('takes a body that is not JSON byte for byte', () => {
    expect(requestHash('POST', '/v1/x', '{"a":')).toBe(requestHash('POST', '/v1/x', '{"a":'));
    expect(requestHash('POST', '/v1/x', '{"a":')).not.toBe(requestHash('POST', '/v1/x', '{"a": '));
  });
});
