import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { Hono } from 'hono';
import { StartupError } from '../startup-error.ts';
import { PROBLEM_CONTENT_TYPE, problemType } from './problem.ts';

type Fetch = Pick<Hono, 'fetch'>;

export interface RunningServer {
  url: string;
  port: number;
  /** Stops accepting connections and resolves once in-flight requests have finished. */
  close(): Promise<void>;
}

export interface Listener extends RunningServer {
  /** Starts answering with `app`; until then every request gets a 503 "starting". */
  attach(app: Fetch): void;
}

export class PortUnavailable extends StartupError {}

export interface ListenOptions {
  port: number;
  host: string;
  /** The setting that chose the port, named when it cannot be had. */
  setting: string;
}

const starting = () =>
  new Response(
    JSON.stringify({
      type: problemType(503),
      title: 'Service Unavailable',
      status: 503,
      detail: 'Starting up; try again shortly.',
    }),
    { status: 503, headers: { 'Content-Type': PROBLEM_CONTENT_TYPE, 'Retry-After': '1' } },
  );

/**
 * Binds the port before anything else is started, so a taken one fails at once (naming the
 * setting) instead of after migrations; the app is attached once it is built.
 */
export async function listen({ port, host, setting }: ListenOptions): Promise<Listener> {
  let app: Fetch | undefined;
  const server = createAdaptorServer({
    fetch: (request, env) => (app ? app.fetch(request, env) : starting()),
    hostname: host,
  });
  const info = await new Promise<AddressInfo>((resolve, reject) => {
    const refused = (error: NodeJS.ErrnoException) => {
      const reason =
        error.code === 'EADDRINUSE'
          ? 'is already in use'
          : error.code === 'EACCES'
            ? 'needs privileges this process lacks'
            : `cannot be bound (${error.code ?? error.message})`;
      reject(
        new PortUnavailable(
          `${setting}=${port}: port ${port} on ${host} ${reason}. Stop what holds it, or set ${setting} to a free port (0 picks one).`,
          { cause: error },
        ),
      );
    };
    server.once('error', refused);
    server.listen(port, host, () => {
      server.off('error', refused);
      resolve(server.address() as AddressInfo);
    });
  });
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return {
    url: `http://${shownHost}:${info.port}`,
    port: info.port,
    attach(ready) {
      app = ready;
    },
    close: () =>
      new Promise<void>((done, fail) => {
        // Keep-alive sockets hold close() open: drop each one as soon as it goes idle.
        const closeIdle = () => {
          if ('closeIdleConnections' in server) server.closeIdleConnections();
        };
        const sweeper = setInterval(closeIdle, 50);
        server.close((error) => {
          clearInterval(sweeper);
          if (error) fail(error);
          else done();
        });
        closeIdle();
      }),
  };
}
