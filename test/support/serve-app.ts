import type { Hono } from 'hono';
import { listen, type RunningServer } from '../../src/platform/http/serve.ts';

/** Serves `app` on a free port of 127.0.0.1, as a component would, for tests over real sockets. */
export async function serveApp(app: Pick<Hono, 'fetch'>): Promise<RunningServer> {
  const listener = await listen({ port: 0, host: '127.0.0.1', setting: 'TEST_PORT' });
  listener.attach(app);
  return listener;
}
