import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a recording server saw of one request. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
}

export interface RecordingServer {
  url: string;
  port: number;
  /** Requests other than its health checks, in the order they arrived. */
  seen: SeenRequest[];
  /** What answers requests (health checks aside); replaceable mid-test. */
  handler: (request: IncomingMessage, response: ServerResponse) => void;
  /** Whether `/health/ready` answers 200 (true) or 503. */
  ready: boolean;
  close(): Promise<void>;
}

/** A real node:http server on 127.0.0.1 that records what reaches it, for upstream tests. */
export async function startRecordingServer(
  handler: RecordingServer['handler'] = (_, response) => response.end('ok'),
): Promise<RecordingServer> {
  const server = createServer((request, response) => {
    if (request.url === '/health/ready') {
      response.statusCode = recording.ready ? 200 : 503;
      response.end();
      return;
    }
    recording.seen.push({
      method: request.method ?? '',
      url: request.url ?? '',
      headers: request.headers,
    });
    recording.handler(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const recording: RecordingServer = {
    url: `http://127.0.0.1:${port}`,
    port,
    seen: [],
    handler,
    ready: true,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  return recording;
}

/** Waits (bounded) until `condition` holds; throws with `what` when it never does. */
export async function eventually(
  condition: () => boolean,
  what: string,
  timeoutMs = 5_000,
): Promise<void> {
  const until = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > until) throw new Error(`never happened: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
