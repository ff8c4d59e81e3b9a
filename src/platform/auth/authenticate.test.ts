import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { sign } from 'hono/jwt';
import { describe, expect, it } from 'vitest';
import type { AppEnv } from '../http/app-env.ts';
import { ProblemError, problemResponse } from '../http/problem.ts';
import { issueAccessToken } from './access-token.ts';
import { authenticate, requireRole, requireUser } from './authenticate.ts';

const settings = { secret: 'test-signing-secret-0123456789', issuer: 'commerce', ttlSeconds: 60 };

function buildApp() {
  const app = new Hono<AppEnv>();
  app.use(authenticate(settings));
  app.get('/public', (c) => c.json({ user: c.var.user ?? null }));
  app.get('/me', requireUser(), (c) => c.json(c.var.user));
  app.get('/admin', requireRole('admin'), (c) => c.text('ok'));
  app.get('/admin-or-customer', requireRole('admin', 'customer'), (c) => c.text('ok'));
  app.onError((error, c) =>
    error instanceof ProblemError
      ? problemResponse(c, error.problem, error.headers)
      : c.text('boom', 500),
  );
  return app;
}

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

describe('access tokens at the edge', () => {
  const userId = randomUUID();

  it('lets a valid token through and exposes the principal as c.var.user', async () => {
    const { token } = await issueAccessToken(settings, { id: userId, roles: ['customer'] });
    const res = await buildApp().request('/me', bearer(token));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: userId, roles: ['customer'] });
  });

  it('answers 401 without a token on protected routes, and serves public ones anonymously', async () => {
    const app = buildApp();
    const res = await app.request('/me');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(await (await app.request('/public')).json()).toEqual({ user: null });
  });

  it('answers 401 for an expired token', async () => {
    const anHourAgo = Date.now() - 3_600_000;
    const { token } = await issueAccessToken(settings, { id: userId, roles: ['admin'] }, anHourAgo);
    expect((await buildApp().request('/me', bearer(token))).status).toBe(401);
    expect((await buildApp().request('/public', bearer(token))).status).toBe(401);
  });

  it('answers 401 for a token signed with another key, another issuer, or garbage', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: userId, roles: ['admin'], iss: 'commerce', iat: now, exp: now + 60 };
    const forged = await sign(claims, 'somebody-elses-secret-key', 'HS256');
    const otherIssuer = await sign({ ...claims, iss: 'elsewhere' }, settings.secret, 'HS256');
    const badRoles = await sign({ ...claims, roles: ['root'] }, settings.secret, 'HS256');
    for (const token of [forged, otherIssuer, badRoles, 'garbage', '']) {
      expect((await buildApp().request('/me', bearer(token))).status, token).toBe(401);
    }
    expect(
      (await buildApp().request('/me', { headers: { authorization: 'Basic abc' } })).status,
    ).toBe(401);
  });

  it('answers 403 when the role is missing', async () => {
    const { token } = await issueAccessToken(settings, { id: userId, roles: ['customer'] });
    expect((await buildApp().request('/admin', bearer(token))).status).toBe(403);
    const admin = await issueAccessToken(settings, { id: userId, roles: ['admin'] });
    expect((await buildApp().request('/admin', bearer(admin.token))).status).toBe(200);
  });

  it('lets in a holder of any one of several accepted roles', async () => {
    const { token } = await issueAccessToken(settings, { id: userId, roles: ['customer'] });
    const res = await buildApp().request('/admin-or-customer', bearer(token));
    expect(res.status).toBe(200);
    const refused = await buildApp().request('/admin', bearer(token));
    expect(await refused.json()).toMatchObject({
      status: 403,
      detail: 'This needs the admin role.',
    });
  });
});
