import type { Logger } from 'pino';
import type { Principal } from '../auth/access-token.ts';
import type { AnswerHeaders } from './answer-headers.ts';

/** Variables every request carries (`c.var`), set by the platform's middleware. */
export type AppEnv = {
  Variables: {
    requestId: string;
    /** The headers middleware set for this request's answer: setAnswerHeader. */
    answerHeaders?: AnswerHeaders;
    traceId: string;
    logger: Logger;
    /** The signed-in caller, when the request carried a valid access token. */
    user?: Principal;
    /** The calling component, when a service token of a trusted caller came with the request. */
    caller?: string;
    /** When the caller stops waiting (`performance.now()` ms), from its `x-request-budget-ms`. */
    deadlineAt?: number;
  };
};
