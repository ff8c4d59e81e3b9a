import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { productChanged } from '../../src/modules/catalog/index.ts';
import { platform } from '../../src/platform/bus/schema.ts';
import { subscribe } from '../../src/platform/bus/subscription.ts';
import type { Module } from '../../src/platform/module.ts';
import { withDeadline } from '../../src/platform/resilience/deadline.ts';
import type { ForwardAnswer, ForwardRequest } from '../proxy/exchange.ts';

// A short cache of anonymous catalog reads, keyed by the full URL. Each product has a
// generation number, and so do the lists; an entry's key carries the generation it was read
// under, so `product.changed` invalidates in O(1) by bumping two numbers, on every replica at
// once when they live in Redis. The generation is read before the request is forwarded and the
// answer stored under it, so an answer that raced a change is stored where no lookup looks.
// Losing an invalidation (Redis away) costs at most the TTL: every entry expires by then.

export interface CatalogCacheOptions {
  redis?: Redis | undefined;
  /** Key prefix in Redis (`<REDIS_PREFIX>:facade`); keys are `<prefix>:cc:…`. */
  prefix: string;
  /** How long an answer is served; 0 turns the cache off. */
  ttlMs: number;
  logger: Logger;
  /** Entries kept in memory (without Redis, or while it is away), least recently used out. */
  maxEntries?: number;
  /** Larger answers are not kept. */
  maxBodyBytes?: number;
  /** The longest a request waits for Redis before it uses memory. */
  redisTimeoutMs?: number;
}

export interface CatalogCache {
  /** The cached answer (`x-cache: hit`) for a cacheable request, else undefined: forward it. */
  lookup(request: ForwardRequest): Promise<ForwardAnswer | undefined>;
  /** Whether `store` keeps or labels this request's answer: it must then be read. */
  keeps(request: ForwardRequest): boolean;
  /**
   * Keeps a 200 answer of a request `lookup` missed (the same request object: it carries the
   * generation lookup read); returns the answer to send, labelled `x-cache: miss` when the
   * request was cacheable. Never throws.
   */
  store(request: ForwardRequest, answer: ForwardAnswer): Promise<ForwardAnswer>;
  /** Drops a product's entries and every list's (what `product.changed` does). */
  invalidate(productId: string): Promise<void>;
}

/** Which generation an entry belongs to: the lists', or one product's. */
type Scope = { kind: 'list' } | { kind: 'product'; id: string };

interface Entry {
  status: number;
  contentType: string | undefined;
  body: Uint8Array;
}

/** Where a looked-up request's answer goes: the backend and generation lookup saw. */
interface Ticket {
  key: string;
  backend: 'redis' | 'memory';
}

const MAX_URL_LENGTH = 2_048;

/** The scope of a public catalog read, or undefined when the request is not one. */
export function cacheScopeOf(request: Pick<ForwardRequest, 'method' | 'url' | 'headers'>) {
  // An admin sees archived products; any credential may change the answer.
  if (request.method.toUpperCase() !== 'GET' || request.headers.authorization !== undefined) {
    return undefined;
  }
  if (request.url.length > MAX_URL_LENGTH) return undefined;
  const query = request.url.indexOf('?');
  const path = query === -1 ? request.url : request.url.slice(0, query);
  const segments = path.split('/');
  // ['', 'api', 'products', id?, 'stock'?]
  if (segments[1] !== 'api' || segments[2] !== 'products') return undefined;
  if (segments.length === 3) return { kind: 'list' } satisfies Scope;
  const id = segments[3];
  if (!id) return undefined;
  if (segments.length === 4 || (segments.length === 5 && segments[4] === 'stock')) {
    return { kind: 'product', id: id.toLowerCase() } satisfies Scope;
  }
  return undefined;
}

const isStorable = (answer: ForwardAnswer, maxBodyBytes: number): boolean => {
  if (answer.status !== 200 || answer.body.byteLength > maxBodyBytes) return false;
  if (answer.headers['set-cookie'] !== undefined) return false;
  const cacheControl = String(answer.headers['cache-control'] ?? '').toLowerCase();
  return !cacheControl.includes('no-store') && !cacheControl.includes('private');
};

const contentTypeOf = (answer: ForwardAnswer): string | undefined => {
  const value = answer.headers['content-type'];
  return Array.isArray(value) ? value[0] : value;
};

const withCacheLabel = (answer: ForwardAnswer, label: 'hit' | 'miss'): ForwardAnswer => ({
  ...answer,
  headers: { ...answer.headers, 'x-cache': label },
});

const encode = (entry: Entry): string =>
  JSON.stringify({
    s: entry.status,
    t: entry.contentType ?? null,
    b: Buffer.from(entry.body).toString('base64'),
  });

const decode = (text: string): Entry => {
  const { s, t, b } = JSON.parse(text) as { s: number; t: string | null; b: string };
  return { status: s, contentType: t ?? undefined, body: new Uint8Array(Buffer.from(b, 'base64')) };
};

// One round trip: the scope's generation, and the entry stored under it.
const LOOKUP_SCRIPT = `
local generation = redis.call('GET', KEYS[1]) or '0'
return {generation, redis.call('GET', ARGV[1] .. generation .. ':' .. ARGV[2])}
`;

/** A least-recently-used map of entries with their expiry, and the generations. */
function memoryStore(maxEntries: number) {
  const entries = new Map<string, Entry & { expiresAt: number }>();
  let generations = new Map<string, number>();
  // Bumped when the product generations are dropped (too many), so no old key is reused.
  let epoch = 0;
  return {
    generation(scopeKey: string): string {
      return `${epoch}.${generations.get(scopeKey) ?? 0}`;
    },
    bump(scopeKey: string) {
      if (generations.size >= maxEntries * 10) {
        generations = new Map();
        epoch += 1;
      }
      generations.set(scopeKey, (generations.get(scopeKey) ?? 0) + 1);
    },
    get(key: string): Entry | undefined {
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      entries.delete(key);
      if (entry.expiresAt <= Date.now()) return undefined;
      entries.set(key, entry);
      return entry;
    },
    set(key: string, entry: Entry, ttlMs: number) {
      entries.delete(key);
      entries.set(key, { ...entry, expiresAt: Date.now() + ttlMs });
      for (const oldest of entries.keys()) {
        if (entries.size <= maxEntries) break;
        entries.delete(oldest);
      }
    },
  };
}

export function catalogCache({
  redis,
  prefix,
  ttlMs,
  logger,
  maxEntries = 1_000,
  maxBodyBytes = 256 * 1024,
  redisTimeoutMs = 50,
}: CatalogCacheOptions): Module<CatalogCache> {
  const memory = memoryStore(maxEntries);
  const tickets = new WeakMap<ForwardRequest, Ticket>();
  // A generation outlives every entry stored under it, so a key that expired and starts again
  // at 0 finds no entry left from its last round at 0.
  const generationTtlMs = Math.max(60_000, ttlMs * 10);
  let scriptSha: string | undefined;
  let outage = false;

  const scopeKeyOf = (scope: Scope) => (scope.kind === 'list' ? 'list' : `p:${scope.id}`);
  const generationKey = (scopeKey: string) => `${prefix}:cc:g:${scopeKey}`;
  const entryKeyPrefix = (scopeKey: string) => `${prefix}:cc:e:${scopeKey}:`;

  const onRedisError = (error: unknown) => {
    if (!outage) {
      outage = true;
      logger.warn({ err: error }, 'the catalog cache falls back to memory: redis is unavailable');
    }
  };
  const onRedisAnswer = () => {
    if (outage) {
      outage = false;
      logger.info('the catalog cache is back on redis');
    }
  };
  const ready = (client: Redis) => {
    // Not connected: a command would wait in ioredis's offline queue.
    if (client.status !== 'ready') throw new Error(`redis is ${client.status}`);
    return client;
  };

  const redisLookup = async (client: Redis, scopeKey: string, url: string) => {
    const args = [generationKey(scopeKey), entryKeyPrefix(scopeKey), url] as const;
    const run = async (): Promise<unknown> => {
      if (scriptSha !== undefined) {
        try {
          return await client.evalsha(scriptSha, 1, ...args);
        } catch (error) {
          if (!String(error).includes('NOSCRIPT')) throw error;
        }
      }
      scriptSha = String(await client.script('LOAD', LOOKUP_SCRIPT));
      return client.evalsha(scriptSha, 1, ...args);
    };
    const [generation, stored] = (await withDeadline(
      run(),
      redisTimeoutMs,
      'catalog cache lookup',
    )) as [string, string | null];
    return { key: `${entryKeyPrefix(scopeKey)}${generation}:${url}`, stored };
  };

  const cache: CatalogCache = {
    async lookup(request) {
      const scope = ttlMs > 0 ? cacheScopeOf(request) : undefined;
      if (scope === undefined) return undefined;
      const scopeKey = scopeKeyOf(scope);
      let found: Entry | undefined;
      if (redis !== undefined) {
        try {
          const { key, stored } = await redisLookup(ready(redis), scopeKey, request.url);
          onRedisAnswer();
          tickets.set(request, { key, backend: 'redis' });
          found = stored === null ? undefined : decode(stored);
          return found && answerOf(found);
        } catch (error) {
          onRedisError(error);
        }
      }
      const key = `${entryKeyPrefix(scopeKey)}${memory.generation(scopeKey)}:${request.url}`;
      tickets.set(request, { key, backend: 'memory' });
      found = memory.get(key);
      return found && answerOf(found);
    },

    keeps: (request) => ttlMs > 0 && cacheScopeOf(request) !== undefined,

    async store(request, answer) {
      const ticket = tickets.get(request);
      if (ticket === undefined) {
        // Not looked up first: no generation to store under; labelled all the same.
        return cache.keeps(request) ? withCacheLabel(answer, 'miss') : answer;
      }
      tickets.delete(request);
      const labelled = withCacheLabel(answer, 'miss');
      if (!isStorable(answer, maxBodyBytes)) return labelled;
      const entry: Entry = {
        status: answer.status,
        contentType: contentTypeOf(answer),
        body: answer.body,
      };
      if (ticket.backend === 'memory' || redis === undefined) {
        memory.set(ticket.key, entry, ttlMs);
        return labelled;
      }
      try {
        await withDeadline(
          ready(redis).set(ticket.key, encode(entry), 'PX', ttlMs),
          redisTimeoutMs,
          'catalog cache store',
        );
        onRedisAnswer();
      } catch (error) {
        // Not kept: the next request asks the catalog again.
        onRedisError(error);
      }
      return labelled;
    },

    async invalidate(productId) {
      const product = scopeKeyOf({ kind: 'product', id: productId.toLowerCase() });
      memory.bump(product);
      memory.bump('list');
      if (redis === undefined) return;
      try {
        await withDeadline(
          ready(redis)
            .multi()
            .incr(generationKey(product))
            .pexpire(generationKey(product), generationTtlMs)
            .incr(generationKey('list'))
            .pexpire(generationKey('list'), generationTtlMs)
            .exec(),
          1_000,
          'catalog cache invalidation',
        );
        onRedisAnswer();
      } catch (error) {
        // Not retried: within the TTL every entry it would have dropped is gone anyway.
        onRedisError(error);
      }
    },
  };

  return {
    name: 'catalog-cache',
    schema: platform,
    subscriptions: [
      subscribe('facade.catalog-cache', productChanged, async ({ payload }) => {
        await cache.invalidate(payload.productId);
      }),
    ],
    api: cache,
  };
}

function answerOf(entry: Entry): ForwardAnswer {
  return {
    status: entry.status,
    headers: {
      ...(entry.contentType !== undefined && { 'content-type': entry.contentType }),
      'x-cache': 'hit',
    },
    body: entry.body,
  };
}
