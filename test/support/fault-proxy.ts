import { createServer, type Server, Socket } from 'node:net';

/** What the proxy does with traffic right now. */
export type FaultMode =
  /** Forwards both ways. */
  | 'pass'
  /** Resets every open connection and refuses new ones (ECONNREFUSED), as a stopped server. */
  | 'down'
  /** Resets every open connection but keeps accepting and forwarding new ones, as a restart. */
  | 'reset'
  /**
   * Keeps connections open and accepts new ones, but forwards nothing until restored, as a
   * network partition: what was sent meanwhile arrives afterwards, as TCP would retransmit it.
   */
  | 'blackhole';

export interface FaultProxy {
  /** The proxy's own port on 127.0.0.1. */
  port: number;
  /** `url` with its host and port replaced by the proxy's. */
  via(url: string): string;
  /** Connections currently open through the proxy. */
  readonly connections: number;
  /**
   * Chunks the clients have sent the server so far. A write that follows the server's answer
   * arrives as a chunk of its own, so this counts a client's round trips.
   */
  readonly sentToServer: number;
  /** Resets open connections and refuses new ones until `restore()`. */
  cut(): Promise<void>;
  /** Resets open connections; new ones are forwarded at once. */
  reset(): void;
  /** Stops forwarding without closing anything until `restore()`, which delivers what waited. */
  blackhole(): void;
  /** Holds every chunk `ms` before forwarding it (0 turns it off); works with any mode. */
  delay(ms: number): void;
  /** Back to forwarding, accepting again if the proxy was cut. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket;
}

/**
 * A TCP proxy in front of a real server (PostgreSQL, Redis) that a test can cut, partition,
 * slow down and restore, so faults are proven without touching the machine's shared servers.
 */
export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  const pairs = new Set<Pair>();
  let mode: FaultMode = 'pass';
  let delayMs = 0;
  let sentToServer = 0;

  const sockets = () => [...pairs].flatMap((pair) => [pair.client, pair.upstream]);

  /** Forwards `from` → `to`; with a delay, chunk by chunk, each held `delayMs`. */
  const pipe = (from: Socket, to: Socket) => {
    from.on('data', (chunk: Buffer) => {
      if (delayMs === 0) {
        to.write(chunk);
        return;
      }
      // Paused while a chunk waits, so chunks keep their order.
      from.pause();
      setTimeout(() => {
        if (!to.destroyed) to.write(chunk);
        if (mode !== 'blackhole') from.resume();
      }, delayMs);
    });
  };

  const onConnection = (client: Socket) => {
    if (mode === 'down') {
      client.resetAndDestroy();
      return;
    }
    const upstream = new Socket();
    const pair = { client, upstream };
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.on('data', () => {
      sentToServer += 1;
    });
    pipe(client, upstream);
    pipe(upstream, client);
    if (mode === 'blackhole') {
      client.pause();
      upstream.pause();
    }
    upstream.connect(target.port, target.host);
  };

  const server: Server = createServer({ noDelay: true }, onConnection);
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(0);
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('fault proxy has no port');
  const { port } = address;

  const resetAll = () => {
    for (const pair of [...pairs]) {
      pairs.delete(pair);
      pair.client.resetAndDestroy();
      pair.upstream.destroy();
    }
  };

  return {
    port,
    via(url) {
      const parsed = new URL(url);
      parsed.hostname = '127.0.0.1';
      parsed.port = String(port);
      return parsed.toString();
    },
    get connections() {
      return pairs.size;
    },
    get sentToServer() {
      return sentToServer;
    },
    async cut() {
      mode = 'down';
      resetAll();
      // Closed, so a connect is refused rather than accepted and reset.
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    reset() {
      resetAll();
    },
    blackhole() {
      mode = 'blackhole';
      // Unread data stays in the kernel's buffers until restore() resumes reading.
      for (const socket of sockets()) socket.pause();
    },
    delay(ms) {
      delayMs = ms;
    },
    async restore() {
      const wasDown = mode === 'down';
      mode = 'pass';
      for (const socket of sockets()) socket.resume();
      if (!wasDown) return;
      // The port was only lent back to the system for the outage; take it again.
      for (let attempt = 0; ; attempt++) {
        try {
          await listen(port);
          return;
        } catch (error) {
          if (attempt >= 20) throw error;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    },
    async close() {
      resetAll();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
