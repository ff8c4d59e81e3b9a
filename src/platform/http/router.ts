import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from './app-env.ts';
import { problemResponse, validationProblem } from './problem.ts';

/**
 * The one way to make a router: every route validated from its zod schema, and a failed
 * validation answered as a 400 problem with field paths.
 */
export function createRouter<E extends AppEnv = AppEnv>(): OpenAPIHono<E> {
  return new OpenAPIHono<E>({
    defaultHook: (result, c) => {
      if (!result.success)
        return problemResponse(c, validationProblem(result.target, result.error));
    },
  });
}
