import type { z } from 'zod';
import { ProblemError } from './http/problem.ts';

/**
 * Checks the arguments another module passes to a module's API. Callers are other modules: a
 * malformed call is their bug, reported as a ProblemError 400 with field paths (`field` names a
 * bare argument, so its path is not empty).
 */
export function apiCallParser(callee: string) {
  return <S extends z.ZodType>(schema: S, value: unknown, field?: string): z.infer<S> => {
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    throw new ProblemError(400, `Invalid call to ${callee}.`, {
      errors: result.error.issues.map((issue) => ({
        path: [...(field ? [field] : []), ...issue.path.map(String)].join('.'),
        message: issue.message,
      })),
    });
  };
}
