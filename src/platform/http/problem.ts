import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** RFC 9457 problem details; `errors` carries field-level details for validation failures. */
export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi('Problem');

export type Problem = z.infer<typeof problemSchema>;

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const titles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** Thrown anywhere in a request; the app's onError turns it into a problem+json response. */
export class ProblemError extends Error {
  readonly status: ContentfulStatusCode;
  readonly problem: Problem;
  readonly headers: Record<string, string>;

  constructor(
    status: ContentfulStatusCode,
    detail: string,
    extra: Partial<Omit<Problem, 'status' | 'detail'>> & { headers?: Record<string, string> } = {},
  ) {
    super(detail);
    const { headers = {}, ...fields } = extra;
    this.status = status;
    this.headers = headers;
    this.problem = {
      type: fields.type ?? problemType(status),
      title: fields.title ?? titles[status] ?? 'Error',
      status,
      detail,
      ...(fields.errors ? { errors: fields.errors } : {}),
    };
  }
}

export function problemType(status: number): string {
  return `https://httpwg.org/specs/rfc9110.html#status.${status}`;
}

/** Where the stable error codes of the services live: `type` is this plus the code. */
export const ERROR_TYPE_BASE = 'https://commerce.example/errors/';

/** The problem `type` that carries a stable machine code (`payment-not-found`, …). */
export const errorType = (code: string): string => `${ERROR_TYPE_BASE}${code}`;

/** The code a problem `type` carries, or undefined when it is not one of ours. */
export const errorCodeOf = (type: string): string | undefined =>
  type.startsWith(ERROR_TYPE_BASE) ? type.slice(ERROR_TYPE_BASE.length) : undefined;

/**
 * A problem whose meaning travels as a code in `type`, not as its status: across a process
 * boundary a 409 from a lock must not read as "already paid".
 */
export function codedProblem(
  status: ContentfulStatusCode,
  code: string,
  detail: string,
  extra: Omit<NonNullable<ConstructorParameters<typeof ProblemError>[2]>, 'type'> = {},
): ProblemError {
  return new ProblemError(status, detail, { ...extra, type: errorType(code) });
}

export const notFound = (detail: string) => new ProblemError(404, detail);
export const conflict = (detail: string) => new ProblemError(409, detail);

export function problemResponse(
  c: Context,
  problem: Problem,
  headers: Record<string, string> = {},
): Response {
  return c.body(
    JSON.stringify({ ...problem, instance: c.req.path }),
    problem.status as ContentfulStatusCode,
    {
      ...headers,
      'Content-Type': PROBLEM_CONTENT_TYPE,
    },
  );
}

export type FieldError = NonNullable<Problem['errors']>[number];

/** zod's issues as field errors, each path prefixed with the validated part (`json.name`). */
export const zodFieldErrors = (target: string, error: z.ZodError): FieldError[] =>
  error.issues.map((issue) => ({
    path: [target, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));

export function validationProblem(
  target: string,
  errors: FieldError[],
  type: string = problemType(400),
): Problem {
  return {
    type,
    title: 'Invalid request',
    status: 400,
    detail: `The request ${target} is invalid.`,
    errors,
  };
}
