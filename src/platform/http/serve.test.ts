import { createServer } from 'node:net';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { listen, PortUnavailable } from './serve.ts';

describe('listen', () => {
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
    const server = await listen({ port: 0, host: '127.0.0.1', setting: 'TEST_PORT' });
    server.attach(app);
    const inFlight = fetch(`${server.url}/slow`);
    await handlerReached;
    const closed = server.close();
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('done');
    await closed;
    await expect(fetch(`${server.url}/slow`)).rejects.toThrow();
  });

  it('answers 503 "starting" until the app is attached', async () => {
    const server = await listen({ port: 0, host: '127.0.0.1', setting: 'TEST_PORT' });
    const early = await fetch(`${server.url}/anything`);
    expect(early.status).toBe(503);
    expect(early.headers.get('content-type')).toBe('application/problem+json');
    expect(early.headers.get('retry-after')).toBe('1');
    server.attach(new Hono().get('/anything', (c) => c.text('here')));
    expect(await (await fetch(`${server.url}/anything`)).text()).toBe('here');
    await server.close();
  });

  it('fails on a taken port, naming the setting and the port', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as { port: number };
    try {
      const attempt = listen({ port, host: '127.0.0.1', setting: 'TEST_PORT' });
      await expect(attempt).rejects.toThrow(PortUnavailable);
      await expect(attempt).rejects.toThrow(
        `TEST_PORT=${port}: port ${port} on 127.0.0.1 is already in use`,
      );
    } finally {
      holder.close();
    }
  });
});
