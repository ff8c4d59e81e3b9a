import type { Context } from 'hono';
import { pino } from 'pino';
import {
  captureBodyToV1,
  captureResponseFromV1,
  paymentFromV1,
  refundBodyToV1,
  refundResponseFromV1,
} from '../../facade/acl/payments.ts';
import { type LegacyAnswerContext, problemFromV1 } from '../../facade/acl/payments-errors.ts';
import { continueLegacyPage, startLegacyPage } from '../../facade/acl/payments-pagination.ts';
import {
  getMeRequest,
  getUserRequest,
  legacyLocation,
  legacySuccessBody,
  legacySuccessStatus,
  loginRequest,
  registerRequest,
  type UsersOperation,
  updateMeRequest,
  type V1Request,
} from '../../facade/acl/users.ts';
import { legacyProblem } from '../../facade/acl/users-problems.ts';
import type {
  ListPaymentsRequest,
  PaymentPage as PaymentPageV1,
  PaymentV1,
  Refund,
} from '../../src/contracts/payments/v1/index.ts';
import { userTokensRevoked } from '../../src/contracts/users/v1/token-events.ts';
import { listPaymentsQuerySchema } from '../../src/modules/payments/index.ts';
import type { Principal } from '../../src/platform/auth/access-token.ts';
import {
  accessTokenVerifier,
  type RevocationList,
} from '../../src/platform/auth/access-token-verifier.ts';
import { authenticate, requireUser } from '../../src/platform/auth/authenticate.ts';
import { publicKeySource } from '../../src/platform/auth/key-source.ts';
import { serviceCallHeaders } from '../../src/platform/auth/service-caller.ts';
import type { ServiceTokenSource } from '../../src/platform/auth/service-tokens.ts';
import type { InProcessBroker } from '../../src/platform/bus/in-process-broker.ts';
import type { AppEnv } from '../../src/platform/http/app-env.ts';
import { createHttpApp } from '../../src/platform/http/create-app.ts';
import {
  type Problem,
  problemResponse,
  validationProblem,
  zodFieldErrors,
} from '../../src/platform/http/problem.ts';
import { createMetrics } from '../../src/platform/metrics.ts';
import { serveApp } from './serve-app.ts';

// Test support for the parity suite: the legacy users and payments routes served over
// users-service and payments-service through the ACL (facade/acl), as the routing facade will
// serve them. The facade issue builds the real one; this is only what the suite needs.

/** The gateway's subscriber of `user.tokens_revoked`, for users-service's remoteSubscribers. */
export const ACL_GATEWAY_REVOCATIONS = 'acl-gateway.token-revocations';

export interface AclGatewayOptions {
  usersServiceUrl: string;
  paymentsServiceUrl: string;
  /** The access tokens' issuer (users-service's JWT_ISSUER). */
  issuer: string;
  /** The gateway's own service tokens: users-service and payments-service must trust them. */
  serviceTokens: ServiceTokenSource;
  /** The broker users-service publishes on; the gateway hears revocations through it. */
  broker: InProcessBroker;
}

export interface AclGateway {
  url: string;
  stop(): Promise<void>;
}

interface ServiceAnswer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** What the client sent: JSON, or text that is not (passed on untouched, for the service to refuse). */
type ClientBody = { json: unknown } | { raw: string } | undefined;

async function clientBody(c: Context<AppEnv>): Promise<ClientBody> {
  const text = await c.req.text();
  if (text === '') return undefined;
  try {
    return { json: JSON.parse(text) };
  } catch {
    return { raw: text };
  }
}

/**
 * A revocation list held in memory, fed through the broker. The real facade keeps its list in
 * its own database (platform tokenRevocations); the suite's gateway lives as long as one file.
 */
function brokerRevocations(broker: InProcessBroker): RevocationList & { detach(): void } {
  const notBefore = new Map<string, number>();
  const detach = broker.attach({
    subscribers: [ACL_GATEWAY_REVOCATIONS],
    async accept(deliveries) {
      for (const { envelope } of deliveries) {
        const { userId, notBefore: instant } = userTokensRevoked.payload.parse(envelope.payload);
        notBefore.set(userId, Math.max(notBefore.get(userId) ?? 0, Date.parse(instant)));
      }
    },
  });
  return {
    detach,
    isRevoked: (userId, issuedAtMs) => issuedAtMs < (notBefore.get(userId) ?? 0),
  };
}

export async function startAclGateway(options: AclGatewayOptions): Promise<AclGateway> {
  const revocations = brokerRevocations(options.broker);
  const verifier = accessTokenVerifier({
    issuer: options.issuer,
    keys: publicKeySource({ url: new URL('/.well-known/jwks.json', options.usersServiceUrl) }),
    revocations,
  });
  const app = createHttpApp({
    logger: pino({ level: 'silent' }),
    metrics: createMetrics('acl-gateway'),
    bodyLimitBytes: 1_048_576,
    authenticate: authenticate(verifier),
  });

  async function call(
    audience: 'users-service' | 'payments-service',
    request: V1Request,
    user: Principal | undefined,
    raw?: string,
  ): Promise<ServiceAnswer> {
    const baseUrl =
      audience === 'users-service' ? options.usersServiceUrl : options.paymentsServiceUrl;
    const body = raw ?? (request.body === undefined ? undefined : JSON.stringify(request.body));
    const response = await fetch(new URL(request.path, baseUrl), {
      method: request.method,
      headers: {
        ...(await serviceCallHeaders(options.serviceTokens, audience, user)),
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      body,
    });
    return {
      status: response.status,
      headers: Object.fromEntries(response.headers),
      body: await response.json(),
    };
  }

  /** Passes a JSON body through `translate`; text that is not JSON goes on as it came. */
  const translated = (body: ClientBody, translate: (json: unknown) => V1Request) =>
    body !== undefined && 'raw' in body
      ? { request: translate(undefined), raw: body.raw }
      : { request: translate(body?.json), raw: undefined };

  // ── users ──────────────────────────────────────────────────────────────────────────────

  async function relayUsers(
    c: Context<AppEnv>,
    operation: UsersOperation,
    { request, raw }: { request: V1Request; raw?: string | undefined },
    accountId?: string,
  ): Promise<Response> {
    const answer = await call('users-service', request, c.var.user, raw);
    if (answer.status >= 400) {
      const { body } = legacyProblem(answer.body as Problem, {
        instance: c.req.path,
        ...(accountId !== undefined && { accountId }),
      });
      // A refused sign-in is as uncacheable as a granted one (Cache-Control comes along).
      return problemResponse(c, body, passOn(answer.headers, [...passedOn, 'www-authenticate']));
    }
    for (const [name, value] of Object.entries(passOn(answer.headers, passedOn))) {
      c.header(name, value);
    }
    if (answer.headers.location) c.header('Location', legacyLocation(answer.headers.location));
    return c.json(
      legacySuccessBody(operation, answer.body),
      legacySuccessStatus(operation, answer.status) as 200,
    );
  }

  app.post('/api/users', async (c) =>
    relayUsers(c, 'register', translated(await clientBody(c), registerRequest)),
  );
  app.post('/api/auth/login', async (c) =>
    relayUsers(c, 'login', translated(await clientBody(c), loginRequest)),
  );
  // Before /api/users/:id, so "me" is never read as an id.
  app.get('/api/users/me', requireUser(), async (c) => {
    const me = c.var.user!;
    return relayUsers(c, 'getMe', { request: getMeRequest(me.id) }, me.id);
  });
  app.patch('/api/users/me', requireUser(), async (c) => {
    const me = c.var.user!;
    const body = await clientBody(c);
    return relayUsers(
      c,
      'updateMe',
      translated(body, (json) => updateMeRequest(me.id, json)),
      me.id,
    );
  });
  app.get('/api/users/:id', requireUser(), async (c) => {
    const id = c.req.param('id');
    return relayUsers(c, 'getUser', { request: getUserRequest(id) }, id);
  });

  // ── payments ───────────────────────────────────────────────────────────────────────────
  // Every payments route needs a signed-in client: payments-service reads a call without a
  // forwarded user as the calling component's own authority, which may capture.

  const paymentProblem = (
    c: Context<AppEnv>,
    answer: ServiceAnswer,
    context: LegacyAnswerContext,
  ) => {
    const legacy = problemFromV1(answer.body as Problem, context, answer.headers);
    return problemResponse(c, legacy.problem, legacy.headers);
  };
  const paymentPath = (id: string) => `/v1/payments/${encodeURIComponent(id)}`;

  app.post('/api/payments', requireUser(), async (c) => {
    const body = await clientBody(c);
    const json = body !== undefined && 'json' in body ? body.json : undefined;
    const raw = body !== undefined && 'raw' in body ? body.raw : undefined;
    const request: V1Request = {
      method: 'POST',
      path: '/v1/payments',
      body: captureBodyToV1(json, c.var.user!),
    };
    const answer = await call('payments-service', request, c.var.user, raw);
    const orderId = (json as { orderId?: unknown } | undefined)?.orderId;
    if (answer.status >= 400) {
      return paymentProblem(c, answer, {
        operation: 'capture',
        ...(typeof orderId === 'string' && { orderId }),
      });
    }
    const { status, body: payment } = captureResponseFromV1(answer.body as PaymentV1);
    return c.json(payment, status);
  });

  app.get('/api/payments/:id', requireUser(), async (c) => {
    const id = c.req.param('id');
    const answer = await call(
      'payments-service',
      { method: 'GET', path: paymentPath(id) },
      c.var.user,
    );
    if (answer.status >= 400) return paymentProblem(c, answer, { operation: 'get', paymentId: id });
    return c.json(paymentFromV1(answer.body as PaymentV1), 200);
  });

  app.get('/api/payments', requireUser(), async (c) => {
    // The legacy page query has no v1 twin (v1 pages by cursor): it is checked here, as the
    // legacy route checks it, and walked over v1 pages.
    const query = listPaymentsQuerySchema.safeParse(c.req.query());
    if (!query.success) {
      return problemResponse(c, validationProblem('query', zodFieldErrors('query', query.error)));
    }
    let step = startLegacyPage(query.data);
    while ('request' in step) {
      const answer = await call(
        'payments-service',
        { method: 'GET', path: `/v1/payments?${searchOf(step.request)}` },
        c.var.user,
      );
      if (answer.status >= 400) return paymentProblem(c, answer, { operation: 'list' });
      step = continueLegacyPage(step.walk, answer.body as PaymentPageV1);
    }
    return c.json(step.page, 200);
  });

  app.post('/api/payments/:id/refund', requireUser(), async (c) => {
    const id = c.req.param('id');
    const body = await clientBody(c);
    const json = body !== undefined && 'json' in body ? body.json : undefined;
    const raw = body !== undefined && 'raw' in body ? body.raw : undefined;
    const request: V1Request = {
      method: 'POST',
      path: `${paymentPath(id)}/refunds`,
      body: refundBodyToV1(json),
    };
    const answer = await call('payments-service', request, c.var.user, raw);
    if (answer.status >= 400)
      return paymentProblem(c, answer, { operation: 'refund', paymentId: id });
    const { status, body: payment } = refundResponseFromV1(answer.body as Refund);
    return c.json(payment, status);
  });

  const server = await serveApp(app);
  return {
    url: server.url,
    async stop() {
      revocations.detach();
      await server.close();
    },
  };
}

/** The v1 answer's headers a legacy client acts on, passed on as they came. */
const passedOn = ['cache-control', 'pragma', 'retry-after'];

const passOn = (headers: Record<string, string>, names: string[]) =>
  Object.fromEntries(names.flatMap((name) => (headers[name] ? [[name, headers[name]]] : [])));

const searchOf = (request: ListPaymentsRequest) =>
  new URLSearchParams(
    Object.entries(request).flatMap(([name, value]): [string, string][] =>
      value === undefined ? [] : [[name, String(value)]],
    ),
  ).toString();
