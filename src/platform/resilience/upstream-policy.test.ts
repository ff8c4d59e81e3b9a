import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AnswerNeverCame,
  createServiceClient,
  RequestNotSent,
  type ServiceClient,
} from '../http/service-client.ts';
import { isInfrastructureError } from './infrastructure-error.ts';
import { createUpstreamPolicy, UpstreamFailed } from './upstream-policy.ts';

// A real HTTP server per case, behaving as the upstream under test does.

const servers: Server[] = [];
const clients: ServiceClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function serve(handler: RequestListener, port = 0): Promise<number> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function freePort(): Promise<number> {
  const port = await serve(() => {});
  const server = servers.pop();
  await new Promise((resolve) => server?.close(resolve));
  return port;
}

const clientOf = (port: number, timeoutMs = 300) => {
  const client = createServiceClient({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs });
  clients.push(client);
  return client;
};

describe('a call to another component', () => {
  it('answers with the status, headers and parsed JSON body', async () => {
    const port = await serve((req, res) => {
      res.writeHead(201, {
        'content-type': 'application/json',
        'x-seen': req.headers['idempotency-key'],
      });
      res.end(JSON.stringify({ path: req.url, method: req.method }));
    });
    const answer = await clientOf(port).call({
      method: 'POST',
      path: '/v1/things',
      query: { a: 1, skip: undefined },
      headers: { 'Idempotency-Key': 'k-1' },
      body: { x: 1 },
    });
    expect(answer).toMatchObject({
      status: 201,
      headers: { 'x-seen': 'k-1' },
      body: { path: '/v1/things?a=1', method: 'POST' },
    });
  });

  it('tells a refused connection (never sent) from an answer that never came (sent)', async () => {
    const closed = await freePort();
    const notSent = await clientOf(closed)
      .call({ method: 'POST', path: '/' })
      .catch((e) => e);
    expect(notSent).toBeInstanceOf(RequestNotSent);
    expect(isInfrastructureError(notSent)).toBe(true);

    const silent = await serve(() => {});
    const unanswered = await clientOf(silent, 200)
      .call({ method: 'POST', path: '/' })
      .catch((e) => e);
    expect(unanswered).toBeInstanceOf(AnswerNeverCame);
    expect(isInfrastructureError(unanswered)).toBe(true);

    const hangsUp = await serve((req) => req.socket.destroy());
    const reset = await clientOf(hangsUp)
      .call({ method: 'POST', path: '/' })
      .catch((e) => e);
    expect(reset).toBeInstanceOf(AnswerNeverCame);
  });
});

describe('the upstream policy', () => {
  it('sends again what never reached the upstream, until it is up', async () => {
    const port = await freePort();
    const client = clientOf(port);
    const policy = createUpstreamPolicy({ name: 'test', maxAttempts: 10 });
    let served = 0;
    setTimeout(() => {
      void serve((_req, res) => {
        served += 1;
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      }, port);
    }, 150);
    const answer = await policy.run(() => client.call({ method: 'POST', path: '/' }));
    expect(answer.body).toEqual({ ok: true });
    expect(served).toBe(1);
  });

  it('never sends again a request that may have been carried out', async () => {
    let received = 0;
    const port = await serve(() => {
      received += 1;
    });
    const policy = createUpstreamPolicy({ name: 'test', maxAttempts: 5 });
    const error = await policy
      .run(() => clientOf(port, 150).call({ method: 'POST', path: '/' }))
      .catch((e) => e);
    expect(error).toBeInstanceOf(AnswerNeverCame);
    expect(received).toBe(1);
  });

  it('opens the circuit after repeated failures, fails fast while open, then probes', async () => {
    let received = 0;
    let healthy = false;
    const port = await serve((_req, res) => {
      received += 1;
      res.writeHead(healthy ? 200 : 500, { 'content-type': 'application/json' }).end('{}');
    });
    const client = clientOf(port);
    const policy = createUpstreamPolicy({ name: 'test', breakAfter: 3, halfOpenAfterMs: 200 });
    const callOnce = () =>
      policy.run(async () => {
        const answer = await client.call({ method: 'GET', path: '/' });
        if (answer.status >= 500) throw new UpstreamFailed(`HTTP ${answer.status}`);
        return answer;
      });
    for (let i = 0; i < 3; i++) await expect(callOnce()).rejects.toBeInstanceOf(UpstreamFailed);
    expect(received).toBe(3);

    const open = await callOnce().catch((e) => e);
    expect(open).toBeInstanceOf(RequestNotSent);
    expect(open.message).toMatch(/circuit open/);
    expect(received).toBe(3);

    healthy = true;
    await sleep(250);
    expect((await callOnce()).status).toBe(200);
    expect(received).toBe(4);
  });
});
