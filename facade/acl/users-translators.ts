import { ProblemError } from '../../src/platform/http/problem.ts';
import {
  type LegacyAnswer,
  passOn,
  rawOf,
  type Translation,
  type Translator,
} from '../proxy/translation.ts';
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
} from './users.ts';
import { legacyProblem } from './users-problems.ts';

// The legacy users routes over users-service's v1 API: the request through users.ts, the
// answer (or its problem, users-problems.ts) back to the legacy shape.

/** Passed on from the v1 answer: a refused sign-in is as uncacheable as a granted one. */
const passedOn = ['cache-control', 'pragma', 'retry-after'];

async function relay(
  t: Translation,
  operation: UsersOperation,
  request: V1Request,
  accountId?: string,
): Promise<LegacyAnswer> {
  const answer = await t.call({
    ...request,
    ...(rawOf(t.body) !== undefined && { raw: rawOf(t.body) }),
  });
  if (answer.status >= 400) {
    const { body } = legacyProblem(answer.body as never, {
      instance: t.path,
      ...(accountId !== undefined && { accountId }),
    });
    return { problem: body, headers: passOn(answer.headers, [...passedOn, 'www-authenticate']) };
  }
  const headers = passOn(answer.headers, passedOn);
  if (answer.headers.location) headers.location = legacyLocation(answer.headers.location);
  return {
    status: legacySuccessStatus(operation, answer.status),
    body: legacySuccessBody(operation, answer.body),
    headers,
  };
}

const jsonBody = (t: Translation) =>
  t.body !== undefined && 'json' in t.body ? t.body.json : undefined;

/** The signed-in caller; the edge has verified the token, so its absence is the client's. */
function caller(t: Translation) {
  if (!t.user) throw new ProblemError(401, 'This route needs a signed-in user.');
  return t.user;
}

export const usersTranslators = {
  'users.register': (t) => relay(t, 'register', registerRequest(jsonBody(t))),
  'users.login': (t) => relay(t, 'login', loginRequest(jsonBody(t))),
  'users.get-me': (t) => {
    const me = caller(t);
    return relay(t, 'getMe', getMeRequest(me.id), me.id);
  },
  'users.update-me': (t) => {
    const me = caller(t);
    return relay(t, 'updateMe', updateMeRequest(me.id, jsonBody(t)), me.id);
  },
  'users.get-user': (t) => {
    caller(t);
    const id = t.params.id ?? '';
    return relay(t, 'getUser', getUserRequest(id), id);
  },
} satisfies Record<string, Translator>;
