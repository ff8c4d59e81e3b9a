import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from '../../src/platform/http/app-env.ts';

/**
 * The edge's middleware run in order, except on the paths `skip` names, which go straight on.
 * What hono/combine's `except` does, without its per-request composition (a new middleware
 * chain built for every request). As in Hono's own chain, an answer a middleware returns
 * instead of calling `next` becomes the request's answer.
 */
export function edgeChain(
  skip: (c: Context<AppEnv>) => boolean,
  ...middleware: MiddlewareHandler<AppEnv>[]
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (skip(c)) return next();
    const run = async (at: number): Promise<void> => {
      const handler = middleware[at];
      if (handler === undefined) {
        await next();
        return;
      }
      const answer = await handler(c, () => run(at + 1));
      if (answer instanceof Response && !c.finalized) c.res = answer;
    };
    await run(0);
  };
}
