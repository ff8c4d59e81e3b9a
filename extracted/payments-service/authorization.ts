import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../../src/platform/http/app-env.ts';
import { forbidden } from './errors.ts';

/*
 * Who may do what, in one place. A call either forwards an end user (`c.var.user`) or acts on
 * the calling component's own authority (no forwarded user: the checkout saga capturing).
 *   - read: a forwarded user sees only their own payments, unless admin; the caller's own
 *     authority sees all;
 *   - capture and refund: an admin user, or the caller's own authority.
 * Every call is from a verified component (requireServiceCaller): `c.var.caller` says which.
 */

export type Actor =
  | { kind: 'user'; id: string; admin: boolean }
  /** The calling component on its own authority. */
  | { kind: 'service'; name: string };

export function actorOf(c: Context<AppEnv>): Actor {
  const user = c.var.user;
  if (user) return { kind: 'user', id: user.id, admin: user.roles.includes('admin') };
  const caller = c.var.caller;
  // requireServiceCaller lets no call through without one; this keeps the types honest.
  if (!caller) throw new Error('payments-service reached without a verified caller');
  return { kind: 'service', name: caller };
}

/** The customer whose payments the actor may see: all (undefined) or only their own. */
export const readableCustomer = (actor: Actor): string | undefined =>
  actor.kind === 'user' && !actor.admin ? actor.id : undefined;

export const mayRead = (actor: Actor, payment: { customer_ref: string }): boolean => {
  const only = readableCustomer(actor);
  return only === undefined || only === payment.customer_ref;
};

export const mayMoveMoney = (actor: Actor): boolean => actor.kind === 'service' || actor.admin;

/** 403 unless the actor may capture and refund. */
export const requireMoneyAuthority = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    if (!mayMoveMoney(actorOf(c))) {
      throw forbidden(
        'Captures and refunds need an admin, or a component acting on its own authority.',
      );
    }
    await next();
  });

/** Whose Idempotency-Key space a request is in: keys of different callers never meet. */
export function idempotencyScope(c: Context<AppEnv>): string {
  const actor = actorOf(c);
  return actor.kind === 'user' ? `user:${actor.id}` : `service:${actor.name}`;
}
