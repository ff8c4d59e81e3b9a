import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveThreadLoad } from './thread-load.ts';

// The trivial upstream of `bench:facade`: any path answers a small constant JSON at once, so
// what the bench measures in front of it is the proxy's own cost.

const body = JSON.stringify({ ok: true, served: 'trivial-upstream' });
const server = createServer((_req, res) => {
  res.writeHead(200, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  serveThreadLoad({
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((closed) => server.close(closed));
    },
  });
});
