import { type RouteConfig, z } from '@hono/zod-openapi';
import { problemSchema } from './problem.ts';

// Small builders for createRoute() so every route documents bodies and errors the same way.

export const problemDoc = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: problemSchema } },
});

/** A 503 the caller should retry: problem+json with the Retry-After seconds. */
export const retryLaterDoc = (description: string) => ({
  ...problemDoc(description),
  headers: z.object({
    'Retry-After': z.string().openapi({ description: 'Seconds to wait', example: '5' }),
  }),
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

/**
 * What the app itself answers on any operation, before or around the route (create-app.ts): the
 * edge checks every token that is sent, on public routes too; a lost database or queue is a
 * 503; anything unexpected a 500. A route's own entry for the same status wins.
 */
const everyOperation = {
  401: problemDoc('An access token was sent and it is missing, malformed, forged or expired'),
  500: problemDoc('An unexpected error; quote the request id when reporting it'),
  503: retryLaterDoc('A database or queue this needs is unavailable right now'),
};

/** Only where a request body is read: the body limit and the content-type gate. */
const everyBody = {
  413: problemDoc('The body is larger than the body limit'),
  415: problemDoc("The body's content type is not one this operation takes"),
};

/** The route with the app's own answers added to the ones it documents itself. */
export function withAppAnswers<R extends RouteConfig>(route: R): R {
  return {
    ...route,
    responses: {
      ...everyOperation,
      ...(route.request?.body && everyBody),
      ...route.responses,
    },
  };
}
