import type { z } from '@hono/zod-openapi';
import { problemSchema } from './problem.ts';

// Small builders for createRoute() so every route documents bodies and errors the same way.

export const problemDoc = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: problemSchema } },
});

export const jsonDoc = <S extends z.ZodType>(schema: S, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

export const jsonBody = <S extends z.ZodType>(schema: S) => ({
  required: true,
  content: { 'application/json': { schema } },
});

/** The errors every signed-in route can answer before it looks at the request. */
export const authErrors = {
  401: problemDoc('No valid access token'),
  403: problemDoc('Not allowed for this user'),
};

export const bearerSecurity = [{ bearer: [] }];
