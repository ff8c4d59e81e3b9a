import type { Logger } from 'pino';

/** Variables every request carries (`c.var`), set by the platform's middleware. */
export type AppEnv = {
  Variables: {
    requestId: string;
    traceId: string;
    logger: Logger;
  };
};
