import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { mayActOnAccount } from './account-access.ts';

describe('who may read or change an account', () => {
  const id = randomUUID();
  it.each([
    ['the owner, a customer', { id, roles: ['customer'] as const }, true],
    ['an admin, on any account', { id: randomUUID(), roles: ['admin'] as const }, true],
    [
      'an admin who is also a customer',
      { id: randomUUID(), roles: ['customer', 'admin'] as const },
      true,
    ],
    ['another customer', { id: randomUUID(), roles: ['customer'] as const }, false],
  ])('%s: %s', (_label, user, allowed) => {
    expect(mayActOnAccount({ id: user.id, roles: [...user.roles] }, id)).toBe(allowed);
  });
});
