import { describe, expect, it } from 'vitest';
import { nulCharacterErrors } from './nul-character.ts';

const paths = (target: string, value: unknown) =>
  nulCharacterErrors(target, value).map((error) => error.path);

describe('nulCharacterErrors', () => {
  it('finds U+0000 in any string, at any depth, and names its path', () => {
    const body = {
      cardToken: 'abc\u0000def',
      shippingAddress: { name: 'Ann', city: '\u0000' },
      items: [{ productId: 'p1' }, { productId: 'p\u0000' }],
      note: 'fine',
    };
    expect(paths('json', body).sort()).toEqual([
      'json.cardToken',
      'json.items.1.productId',
      'json.shippingAddress.city',
    ]);
    expect(nulCharacterErrors('json', body)[0]?.message).toMatch(/NUL character/);
  });

  it('finds it in object keys, in a bare string and in arrays of strings', () => {
    expect(paths('json', { 'a\u0000': 1 })).toEqual(['json.a\u0000']);
    expect(paths('param', '\u0000')).toEqual(['param']);
    expect(paths('query', { tag: ['ok', 'x\u0000'] })).toEqual(['query.tag.1']);
  });

  it('passes everything else: other control characters, numbers, null, empty values', () => {
    expect(
      nulCharacterErrors('json', {
        a: '\u0001\u001f\u007f',
        b: 0,
        c: null,
        d: [],
        e: {},
        f: true,
        g: '\\u0000',
      }),
    ).toEqual([]);
  });

  it('walks a body nested far deeper than the call stack allows, and caps what it reports', () => {
    let deep: unknown = '\u0000';
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(nulCharacterErrors('json', deep)).toHaveLength(1);
    expect(nulCharacterErrors('json', Array(1_000).fill('\u0000'))).toHaveLength(10);
  });
});
