import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from './app-env.ts';
import { nulCharacterErrors, rawInputOf } from './nul-character.ts';
import { problemResponse, validationProblem, zodFieldErrors } from './problem.ts';

/**
 * The one way to make a router: every route validated from its zod schema, and a failed
 * validation answered as a 400 problem with field paths. A NUL character anywhere in what a
 * route validates is refused here too, whatever the schema says (PostgreSQL cannot store it).
 */
export function createRouter<E extends AppEnv = AppEnv>(
  options: {
    /** The `type` of the 400 a failed validation answers (a service's stable code). */
    validationType?: string;
  } = {},
): OpenAPIHono<E> {
  return new OpenAPIHono<E>({
    defaultHook: async (result, c) => {
      const raw = await rawInputOf(c, result.target, 'data' in result ? result.data : undefined);
      const errors = [
        ...nulCharacterErrors(result.target, raw),
        ...(result.success ? [] : zodFieldErrors(result.target, result.error)),
      ];
      if (errors.length > 0) {
        return problemResponse(c, validationProblem(result.target, errors, options.validationType));
      }
    },
  });
}
