import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { workerData } from 'node:worker_threads';
import { Pool } from 'undici';
import { serveThreadLoad } from './thread-load.ts';

// The baseline of `bench:facade`: the least a proxy does, a `node:http` server forwarding each
// request as is through one undici Pool, with none of the facade's routing, edge or resilience.

const { upstreamUrl, connections } = workerData as { upstreamUrl: string; connections: number };
const pool = new Pool(upstreamUrl, { connections });
// Hop-by-hop headers belong to one connection, not to the message (RFC 9110 §7.6.1).
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'host']);
const endToEnd = (headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>) =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name))) as Record<
    string,
    string | string[]
  >;

const server = createServer(async (req, res) => {
  try {
    const upstream = await pool.request({
      method: req.method as 'GET',
      path: req.url ?? '/',
      headers: endToEnd(req.headers),
      body: req.method === 'GET' || req.method === 'HEAD' ? null : req,
      headersTimeout: 15_000,
      bodyTimeout: 15_000,
    });
    res.writeHead(upstream.statusCode, endToEnd(upstream.headers));
    await pipeline(upstream.body, res);
  } catch {
    if (!res.headersSent) res.writeHead(502).end();
    else res.destroy();
  }
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  serveThreadLoad({
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((closed) => server.close(closed));
      await pool.close();
    },
  });
});
