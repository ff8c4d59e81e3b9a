import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { serveApp } from './serve.ts';

describe('serveApp', () => {
  it('drains: a request in flight at close still gets its answer, new connections are refused', async () => {
    let reached!: () => void;
    const handlerReached = new Promise<void>((resolve) => {
      reached = resolve;
    });
    const app = new Hono().get('/slow', async (c) => {
      reached();
      await new Promise((resolve) => setTimeout(resolve, 300));
      return c.text('done');
    });
    const server = await serveApp(app, { port: 0, host: '127.0.0.1' });
    const inFlight = fetch(`${server.url}/slow`);
    await handlerReached;
    const closed = server.close();
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('done');
    await closed;
    await expect(fetch(`${server.url}/slow`)).rejects.toThrow();
  });
});
