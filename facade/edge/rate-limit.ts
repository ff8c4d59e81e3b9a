import { createMiddleware } from 'hono/factory';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { setAnswerHeader } from '../../src/platform/http/answer-headers.ts';
import type { AppEnv } from '../../src/platform/http/app-env.ts';
import { ProblemError, problemResponse } from '../../src/platform/http/problem.ts';
import { withDeadline } from '../../src/platform/resilience/deadline.ts';
import { clientIpOf } from './client-ip.ts';
import type { EdgeConfig } from './config.ts';

// Fixed windows aligned to the clock (window n covers [n·w, (n+1)·w)), so every replica agrees on
// when a window resets without asking Redis. With Redis one round trip counts a request: MULTI
// INCR + PEXPIRE on the window's own key. A limiter never fails a request: when Redis errs, is
// slow or is away, the request is counted in this replica's memory instead (looser across
// replicas until Redis is back, but still limited).

export interface RateLimitRule {
  /** The policy's name in the RateLimit headers (`default`, `login`). */
  name: string;
  /** Requests allowed per window. */
  limit: number;
  windowMs: number;
  /** `user`: per signed-in user, else per client IP; `client`: always per client IP. */
  per: 'user' | 'client';
  /** The requests this rule governs; the first rule that applies is the one; none: all. */
  applies?(method: string, path: string): boolean;
}

export interface RateLimitOptions {
  redis?: Redis | undefined;
  /** Key prefix in Redis (`<REDIS_PREFIX>:facade`); keys are `<prefix>:rl:<rule>:<who>:<window>`. */
  prefix: string;
  rules: readonly RateLimitRule[];
  logger: Logger;
  /** Read the client's IP from a trusted proxy's X-Forwarded-For (see clientIpOf). */
  trustProxy?: boolean;
  /** The longest a request waits for Redis before it is counted in memory. */
  redisTimeoutMs?: number;
}

const MINUTE_MS = 60_000;

/** The facade's rules: a stricter one for sign-ins (guessed passwords), a default for the rest. */
export function edgeRateLimitRules(
  config: Pick<EdgeConfig, 'RATE_LIMIT_PER_MINUTE' | 'RATE_LIMIT_LOGIN_PER_MINUTE'>,
): RateLimitRule[] {
  return [
    {
      name: 'login',
      limit: config.RATE_LIMIT_LOGIN_PER_MINUTE,
      windowMs: MINUTE_MS,
      per: 'client',
      applies: (method, path) => method === 'POST' && path === '/api/auth/login',
    },
    { name: 'default', limit: config.RATE_LIMIT_PER_MINUTE, windowMs: MINUTE_MS, per: 'user' },
  ];
}

/** Health probes come from the orchestrator, as often as it likes: never limited. */
const isExempt = (path: string) => path.startsWith('/health/');

interface WindowCount {
  /** Requests counted in this window, this one included. */
  count: number;
  /** Until the window resets. */
  resetMs: number;
}

/** In-memory counts of the current windows; entries of past windows are swept out. */
function memoryCounter(maxKeys = 100_000) {
  const counts = new Map<string, { count: number; expiresAt: number }>();
  let nextSweep = 0;
  const sweep = (now: number) => {
    for (const [key, entry] of counts) if (entry.expiresAt <= now) counts.delete(key);
    // Still full (a flood of distinct clients): the oldest windows go first.
    for (const key of counts.keys()) {
      if (counts.size < maxKeys) break;
      counts.delete(key);
    }
    nextSweep = now + 1_000;
  };
  return {
    hit(key: string, expiresAt: number, now: number): number {
      if (now >= nextSweep || counts.size >= maxKeys) sweep(now);
      const entry = counts.get(key);
      if (entry === undefined) {
        counts.set(key, { count: 1, expiresAt });
        return 1;
      }
      entry.count += 1;
      return entry.count;
    },
  };
}

export function rateLimit({
  redis,
  prefix,
  rules,
  logger,
  trustProxy = false,
  redisTimeoutMs = 50,
}: RateLimitOptions) {
  if (rules.length === 0) throw new Error('rateLimit needs at least one rule');
  const memory = memoryCounter();
  let outage = false;

  const countInRedis = async (client: Redis, key: string, ttlMs: number): Promise<number> => {
    // Not connected: the command would wait in ioredis's offline queue; count here at once.
    if (client.status !== 'ready') throw new Error(`redis is ${client.status}`);
    const replies = await withDeadline(
      client.multi().incr(key).pexpire(key, ttlMs).exec(),
      redisTimeoutMs,
      'rate limit count',
    );
    const [error, count] = replies?.[0] ?? [new Error('the transaction was discarded')];
    if (error) throw error;
    return Number(count);
  };

  const count = async (key: string, windowEnd: number, now: number): Promise<number> => {
    if (redis === undefined) return memory.hit(key, windowEnd, now);
    try {
      // Kept a little past the window's end, so a clock a bit behind still finds it.
      const counted = await countInRedis(redis, `${prefix}:${key}`, windowEnd - now + 1_000);
      if (outage) {
        outage = false;
        logger.info('rate limiting is back on redis');
      }
      return counted;
    } catch (error) {
      if (!outage) {
        outage = true;
        logger.warn({ err: error }, 'rate limiting falls back to memory: redis is unavailable');
      }
      return memory.hit(key, windowEnd, now);
    }
  };

  const hit = async (rule: RateLimitRule, who: string): Promise<WindowCount> => {
    const now = Date.now();
    const window = Math.floor(now / rule.windowMs);
    const windowEnd = (window + 1) * rule.windowMs;
    const counted = await count(`rl:${rule.name}:${who}:${window}`, windowEnd, now);
    return { count: counted, resetMs: windowEnd - now };
  };

  return createMiddleware<AppEnv>(async (c, next) => {
    if (isExempt(c.req.path)) return next();
    const method = c.req.method.toUpperCase();
    const rule =
      rules.find((candidate) => candidate.applies?.(method, c.req.path) ?? true) ??
      (rules[rules.length - 1] as RateLimitRule);
    const user = rule.per === 'user' ? c.get('user') : undefined;
    const who = user ? `user:${user.id}` : `ip:${clientIpOf(c, { trustProxy })}`;
    const { count: counted, resetMs } = await hit(rule, who);

    const resetSeconds = Math.max(1, Math.ceil(resetMs / 1000));
    const remaining = Math.max(0, rule.limit - counted);
    // draft-ietf-httpapi-ratelimit-headers: the policy, and where this client stands in it.
    const headers = {
      'RateLimit-Policy': `"${rule.name}";q=${rule.limit};w=${Math.round(rule.windowMs / 1000)}`,
      RateLimit: `"${rule.name}";r=${remaining};t=${resetSeconds}`,
    };
    if (counted > rule.limit) {
      return problemResponse(
        c,
        new ProblemError(
          429,
          `More than ${rule.limit} requests in ${Math.round(rule.windowMs / 1000)} s (${rule.name}); try again in ${resetSeconds} s.`,
        ).problem,
        { ...headers, 'Retry-After': String(resetSeconds) },
      );
    }
    setAnswerHeader(c, 'RateLimit-Policy', headers['RateLimit-Policy']);
    setAnswerHeader(c, 'RateLimit', headers.RateLimit);
    await next();
  });
}
