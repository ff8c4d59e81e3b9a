import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { AppEnv } from '../../src/platform/http/app-env.ts';
import { stickyKeyOf } from '../routing/canary.ts';
import { CLIENT_COOKIE, clientCookie, clientKeyOf } from './client-key.ts';

function app({ trustProxy = false } = {}) {
  const app = new Hono<AppEnv>();
  app.use(clientCookie({ trustProxy }));
  // As the canary split does: only a request it decides asks for the client key.
  app.get('/unsplit', (c) => c.json({ split: false }));
  app.all('*', (c) => c.json({ key: clientKeyOf(c, { trustProxy }) }));
  return (url: string, headers: Record<string, string> = {}, ip = '10.0.0.5') =>
    app.request(url, { headers }, { incoming: { socket: { remoteAddress: ip } } });
}

const cookieValue = (setCookie: string | null) =>
  setCookie?.match(new RegExp(`^${CLIENT_COOKIE}=([^;]+)`))?.[1];

describe('the client key', () => {
  it('sets the cookie once; from then on the client is keyed by it, wherever it comes from', async () => {
    const send = app();
    const first = await send('http://facade.local/api/products');
    const setCookie = first.headers.get('set-cookie');
    const value = cookieValue(setCookie);
    expect(value).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Lax');
    expect(setCookie).toContain('Path=/');
    expect(setCookie).not.toContain('Secure');
    // Its first request had no cookie yet: the IP keyed it.
    expect(await first.json()).toEqual({ key: 'ip:10.0.0.5' });

    const keys = [];
    for (const ip of ['10.0.0.5', '10.0.0.6']) {
      const again = await send(
        'http://facade.local/api/products',
        { cookie: `${CLIENT_COOKIE}=${value}` },
        ip,
      );
      expect(again.headers.get('set-cookie')).toBeNull();
      keys.push(((await again.json()) as { key: string }).key);
    }
    expect(keys).toEqual([`cookie:${value}`, `cookie:${value}`]);
    expect(stickyKeyOf({ clientKey: keys[0] as string })).toBe(`client:cookie:${value}`);
  });

  it('keys a client that keeps no cookie by its IP, the same every time', async () => {
    const send = app();
    const one = await send('http://facade.local/api/products');
    const two = await send('http://facade.local/api/products');
    expect([await one.json(), await two.json()]).toEqual([
      { key: 'ip:10.0.0.5' },
      { key: 'ip:10.0.0.5' },
    ]);
    // Each such request is offered a cookie; a different one each time, all random.
    expect(cookieValue(one.headers.get('set-cookie'))).not.toBe(
      cookieValue(two.headers.get('set-cookie')),
    );
  });

  it('offers no cookie on a request whose client key nothing asked for', async () => {
    const send = app();
    const answer = await send('http://facade.local/unsplit');
    expect(await answer.json()).toEqual({ split: false });
    expect(answer.headers.get('set-cookie')).toBeNull();
  });

  it('replaces a cookie that is not one of ours', async () => {
    const send = app();
    const answer = await send('http://facade.local/', { cookie: `${CLIENT_COOKIE}=../../etc` });
    expect(await answer.json()).toEqual({ key: 'ip:10.0.0.5' });
    expect(cookieValue(answer.headers.get('set-cookie'))).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('marks the cookie Secure on https, and behind a trusted proxy that says https', async () => {
    const direct = await app()('https://facade.example/');
    expect(direct.headers.get('set-cookie')).toContain('Secure');
    const proxied = await app({ trustProxy: true })('http://facade.internal/', {
      'x-forwarded-proto': 'https',
    });
    expect(proxied.headers.get('set-cookie')).toContain('Secure');
    // The client's own word is not taken without a trusted proxy.
    const claimed = await app()('http://facade.internal/', { 'x-forwarded-proto': 'https' });
    expect(claimed.headers.get('set-cookie')).not.toContain('Secure');
  });
});
