import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { AppEnv } from '../../src/platform/http/app-env.ts';
import { edgeChain } from './edge-chain.ts';

function app() {
  const seen: string[] = [];
  const step = (name: string) =>
    edgeChain(
      (c) => c.req.path.startsWith('/internal'),
      async (_c, next) => {
        seen.push(`${name}:first`);
        await next();
        seen.push(`${name}:first-after`);
      },
      async (c, next) => {
        seen.push(`${name}:second`);
        if (c.req.header('x-refuse')) return c.json({ refused: true }, 403);
        await next();
      },
      async (c, next) => {
        seen.push(`${name}:third`);
        await next();
        c.res.headers.set('x-third', 'after');
      },
    );
  const hono = new Hono<AppEnv>();
  hono.use(step('edge'));
  hono.all('*', (c) => {
    seen.push('handler');
    return c.json({ path: c.req.path });
  });
  return { hono, seen };
}

describe('edgeChain', () => {
  it('runs its middleware in order around the handler', async () => {
    const { hono, seen } = app();
    const answer = await hono.request('/api/products');
    expect(await answer.json()).toEqual({ path: '/api/products' });
    expect(answer.headers.get('x-third')).toBe('after');
    expect(seen).toEqual([
      'edge:first',
      'edge:second',
      'edge:third',
      'handler',
      'edge:first-after',
    ]);
  });

  it('answers with what a middleware returns instead of going on', async () => {
    const { hono, seen } = app();
    const answer = await hono.request('/api/products', { headers: { 'x-refuse': '1' } });
    expect(answer.status).toBe(403);
    expect(await answer.json()).toEqual({ refused: true });
    expect(seen).toEqual(['edge:first', 'edge:second', 'edge:first-after']);
  });

  it('skips all of it on the paths it is told to', async () => {
    const { hono, seen } = app();
    const answer = await hono.request('/internal/toggles', { headers: { 'x-refuse': '1' } });
    expect(answer.status).toBe(200);
    expect(seen).toEqual(['handler']);
  });
});
