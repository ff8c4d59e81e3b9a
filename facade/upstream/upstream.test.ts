import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { isInfrastructureError } from '../../src/platform/resilience/infrastructure-error.ts';
import { type FaultProxy, startFaultProxy } from '../../test/support/fault-proxy.ts';
import {
  eventually,
  type RecordingServer,
  startRecordingServer,
} from '../../test/support/recording-server.ts';
import { createPoolUpstream, type Upstream, type UpstreamOptions } from './upstream.ts';
import {
  ClientGone,
  UpstreamBroken,
  UpstreamRejected,
  UpstreamTimeout,
} from './upstream-errors.ts';

// Real node:http upstreams on 127.0.0.1, and a TCP fault proxy for refused and silent ones.

const servers: RecordingServer[] = [];
const proxies: FaultProxy[] = [];
const upstreams: Upstream[] = [];
afterEach(async () => {
  await Promise.all(upstreams.splice(0).map((upstream) => upstream.close()));
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function server(handler?: RecordingServer['handler']) {
  const started = await startRecordingServer(handler);
  servers.push(started);
  return started;
}

function upstreamOf(instances: string[], options: Partial<UpstreamOptions> = {}) {
  const upstream = createPoolUpstream({ name: 'test-upstream', instances, ...options });
  upstreams.push(upstream);
  return upstream;
}

const get = (path = '/things', deadlineMs = 2_000) => ({
  method: 'GET',
  path,
  headers: {},
  deadlineAt: performance.now() + deadlineMs,
});

const answerWith = (status: number) => (_: unknown, response: ServerResponse) => {
  response.statusCode = status;
  response.end(`status ${status}`);
};

const retry = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 };

describe('a pool upstream', () => {
  it('forwards the call and answers with its status, headers and body', async () => {
    const one = await server((request, response) => {
      response.setHeader('x-echo', String(request.headers['x-mine']));
      response.end(`${request.method} ${request.url}`);
    });
    const answer = await upstreamOf([one.url]).send({
      ...get('/things?page=2'),
      headers: { 'x-mine': 'yes' },
    });
    expect(answer.status).toBe(200);
    expect(answer.headers['x-echo']).toBe('yes');
    expect(Buffer.from(answer.body).toString()).toBe('GET /things?page=2');
    expect(answer).toMatchObject({ instance: one.url, attempts: 1 });
  });

  it('keeps each value of a repeated answer header, and an answer of several chunks whole', async () => {
    const one = await server((_, response) => {
      response.setHeader('set-cookie', ['a=1', 'b=2']);
      response.write('first,');
      setTimeout(() => response.end('second'), 5);
    });
    const answer = await upstreamOf([one.url]).send(get());
    expect(answer.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(Buffer.from(answer.body).toString()).toBe('first,second');
  });

  it('breaks the call with UpstreamBroken when the answer is over its size, and goes on', async () => {
    let big = true;
    const one = await server((_, response) => {
      response.end(big ? 'x'.repeat(2_000) : 'small');
    });
    const upstream = upstreamOf([one.url], { maxAnswerBytes: 1_000 });
    const broken = await upstream.send(get()).catch((error: unknown) => error);
    expect(broken).toBeInstanceOf(UpstreamBroken);
    expect((broken as Error).message).toMatch(/over 1000 bytes/);
    big = false;
    const answer = await upstream.send(get());
    expect(Buffer.from(answer.body).toString()).toBe('small');
  });

  it('spreads calls evenly across its instances, in turn', async () => {
    const three = [await server(), await server(), await server()];
    const upstream = upstreamOf(three.map((s) => s.url));
    for (let i = 0; i < 30; i++) await upstream.send(get());
    expect(three.map((s) => s.seen.length)).toEqual([10, 10, 10]);
  });

  it('sends nothing to an instance failing its health checks, and takes it back once healthy', async () => {
    const [a, b] = [await server(), await server()];
    const upstream = upstreamOf([a.url, b.url], { healthIntervalMs: 20 });
    b.ready = false;
    await eventually(() => upstream.state().instances[1]?.healthy === false, 'b marked unhealthy');
    for (let i = 0; i < 10; i++) await upstream.send(get());
    expect([a.seen.length, b.seen.length]).toEqual([10, 0]);

    b.ready = true;
    await eventually(() => upstream.state().instances[1]?.healthy === true, 'b healthy again');
    for (let i = 0; i < 10; i++) await upstream.send(get());
    expect([a.seen.length, b.seen.length]).toEqual([15, 5]);
  });

  it('ejects an instance after consecutive server errors, and keeps serving from the others', async () => {
    const [good, bad] = [await server(), await server(answerWith(500))];
    const upstream = upstreamOf([good.url, bad.url], { ejectAfter: 3, breakAfter: 100 });
    const statuses: number[] = [];
    for (let i = 0; i < 16; i++) statuses.push((await upstream.send(get())).status);
    // Turns alternate until the bad one's third 500 (the 6th call), then the good one takes all.
    expect(bad.seen).toHaveLength(3);
    expect(good.seen).toHaveLength(13);
    expect(statuses.filter((status) => status === 500)).toHaveLength(3);
    expect(upstream.state().instances[1]?.ejectedUntil).not.toBeNull();
    expect(upstream.state().instances[0]?.ejectedUntil).toBeNull();
  });

  it('opens its circuit after consecutive failures, probes once half-open, and closes on success', async () => {
    const one = await server(answerWith(500));
    const upstream = upstreamOf([one.url], { breakAfter: 3, halfOpenAfterMs: 100 });
    // Server errors are answers: returned to the caller, counted by the breaker.
    for (let i = 0; i < 3; i++) expect((await upstream.send(get())).status).toBe(500);
    expect(upstream.state().circuit).toBe('open');
    await expect(upstream.send(get())).rejects.toMatchObject({ reason: 'circuit-open' });
    expect(one.seen).toHaveLength(3);

    await sleep(150);
    const held: ServerResponse[] = [];
    one.handler = (_, response) => held.push(response);
    const probe = upstream.send(get());
    await eventually(() => held.length === 1, 'the probe arrived');
    expect(upstream.state().circuit).toBe('half-open');
    // While the probe is out, everything else is refused at once, not queued behind it.
    const other = await upstream.send(get()).catch((error: unknown) => error);
    expect(other).toBeInstanceOf(UpstreamRejected);
    expect(other).toMatchObject({ reason: 'circuit-open' });
    expect(one.seen).toHaveLength(4);

    held[0]?.end('fine');
    expect((await probe).status).toBe(200);
    expect(upstream.state().circuit).toBe('closed');
    one.handler = answerWith(200);
    expect((await upstream.send(get())).status).toBe(200);
  });

  it('opens its circuit when no instance is healthy, and closes once one answers again', async () => {
    const one = await server();
    const upstream = upstreamOf([one.url], {
      healthIntervalMs: 20,
      breakAfter: 3,
      halfOpenAfterMs: 100,
    });
    one.ready = false;
    await eventually(() => upstream.state().instances[0]?.healthy === false, 'marked unhealthy');
    for (let i = 0; i < 3; i++) {
      await expect(upstream.send(get())).rejects.toMatchObject({ reason: 'no-instance' });
    }
    expect(upstream.state().circuit).toBe('open');
    await expect(upstream.send(get())).rejects.toMatchObject({ reason: 'circuit-open' });
    expect(one.seen.filter((request) => request.url === '/things')).toHaveLength(0);

    one.ready = true;
    await eventually(() => upstream.state().instances[0]?.healthy === true, 'healthy again');
    await sleep(150);
    expect((await upstream.send(get())).status).toBe(200);
    expect(upstream.state().circuit).toBe('closed');
  });

  it('refuses a call at once when its bulkhead is full, sending nothing', async () => {
    const held: ServerResponse[] = [];
    const one = await server((_, response) => held.push(response));
    const upstream = upstreamOf([one.url], { maxConcurrent: 1, maxQueued: 0 });
    const first = upstream.send(get());
    await eventually(() => held.length === 1, 'the first call arrived');
    const second = await upstream.send(get()).catch((error: unknown) => error);
    expect(second).toBeInstanceOf(UpstreamRejected);
    expect(second).toMatchObject({ reason: 'bulkhead-full' });
    expect(upstream.state()).toMatchObject({ active: 1, queued: 0 });
    held[0]?.end('done');
    expect((await first).status).toBe(200);
    expect(one.seen).toHaveLength(1);
  });

  it('makes one attempt when the call brings no retry schedule', async () => {
    const one = await server(answerWith(503));
    const answer = await upstreamOf([one.url]).send(get());
    expect(answer).toMatchObject({ status: 503, attempts: 1 });
    expect(one.seen).toHaveLength(1);
  });

  it('retries 502/503/504 under a schedule and answers with the last attempt', async () => {
    const one = await server(answerWith(503));
    const upstream = upstreamOf([one.url], { breakAfter: 100 });
    const answer = await upstream.send({ ...get(), retry });
    expect(answer).toMatchObject({ status: 503, attempts: 3 });
    expect(one.seen).toHaveLength(3);
  });

  it('does not retry other server errors', async () => {
    const one = await server(answerWith(500));
    const answer = await upstreamOf([one.url]).send({ ...get(), retry });
    expect(answer).toMatchObject({ status: 500, attempts: 1 });
  });

  it('keeps retries within 20% of the calls in flight', async () => {
    // Every request is held until no new one has come for a while, then all are answered 503:
    // the 50 first attempts fail together, and so do the retries the budget let through.
    const held: ServerResponse[] = [];
    let quiet: NodeJS.Timeout | undefined;
    const one = await server((_, response) => {
      held.push(response);
      clearTimeout(quiet);
      quiet = setTimeout(() => {
        for (const waiting of held.splice(0)) answerWith(503)(undefined, waiting);
      }, 100);
    });
    const upstream = upstreamOf([one.url], {
      breakAfter: 1_000,
      retryBudget: { ratio: 0.2, minPerSecond: 0 },
    });
    const answers = await Promise.all(
      Array.from({ length: 50 }, () =>
        upstream.send({ ...get('/things', 5_000), retry: { ...retry, maxAttempts: 2 } }),
      ),
    );
    const retried = answers.filter((answer) => answer.attempts === 2).length;
    expect(one.seen.length).toBe(50 + retried);
    expect(retried).toBeGreaterThan(0);
    expect(retried).toBeLessThanOrEqual(10);
  });

  it('answers UpstreamRejected(connect-error) when the connection is refused', async () => {
    const one = await server();
    const proxy = await startFaultProxy({ host: '127.0.0.1', port: one.port });
    proxies.push(proxy);
    await proxy.cut();
    const error = await upstreamOf([proxy.via(one.url)], { healthPath: null })
      .send(get())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamRejected);
    expect(error).toMatchObject({ reason: 'connect-error', code: 'UPSTREAM_UNAVAILABLE' });
    expect(isInfrastructureError(error)).toBe(true);
  });

  it('retries a refused connection on another instance', async () => {
    const [down, up] = [await server(), await server()];
    const proxy = await startFaultProxy({ host: '127.0.0.1', port: down.port });
    proxies.push(proxy);
    await proxy.cut();
    const upstream = upstreamOf([proxy.via(down.url), up.url], { healthPath: null });
    const answer = await upstream.send({ ...get(), retry });
    expect(answer).toMatchObject({ status: 200, attempts: 2, instance: up.url });
  });

  it('gives up with UpstreamTimeout by the deadline when the upstream is silent', async () => {
    const one = await server();
    const proxy = await startFaultProxy({ host: '127.0.0.1', port: one.port });
    proxies.push(proxy);
    proxy.blackhole();
    const upstream = upstreamOf([proxy.via(one.url)], { healthPath: null });
    const call = get('/things', 150);
    const error = await upstream.send({ ...call, retry }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamTimeout);
    expect(performance.now()).toBeGreaterThanOrEqual(call.deadlineAt - 1);
  });

  it('sends the remaining budget in x-request-budget-ms, shrinking across retries', async () => {
    const one = await server((_, response) => {
      setTimeout(() => answerWith(503)(undefined, response), 20);
    });
    const upstream = upstreamOf([one.url], { breakAfter: 100 });
    await upstream.send({ ...get('/things', 1_000), retry: { ...retry, maxAttempts: 2 } });
    const budgets = one.seen.map((seen) => Number(seen.headers['x-request-budget-ms']));
    expect(budgets).toHaveLength(2);
    expect(budgets[0]).toBeLessThanOrEqual(1_000);
    expect(budgets[0]).toBeGreaterThan(900);
    expect(budgets[1]).toBeLessThanOrEqual((budgets[0] ?? 0) - 20);
  });

  it('closes the upstream request when the client goes away, and does not retry', async () => {
    let closed = 0;
    const one = await server((_, response) => {
      response.on('close', () => closed++);
    });
    const upstream = upstreamOf([one.url]);
    const client = new AbortController();
    const sent = upstream.send({ ...get(), retry, signal: client.signal }).catch((e: unknown) => e);
    await eventually(() => one.seen.length === 1, 'the call arrived');
    client.abort();
    expect(await sent).toBeInstanceOf(ClientGone);
    await eventually(() => closed === 1, 'the upstream saw its request close');
    expect(one.seen).toHaveLength(1);
  });
});
