import {
  jsonOf,
  type LegacyAnswer,
  passOn,
  rawPart,
  signedIn,
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
  const answer = await t.call({ ...request, ...rawPart(t.body) });
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

export const usersTranslators = {
  'users.register': (t) => relay(t, 'register', registerRequest(jsonOf(t.body))),
  'users.login': (t) => relay(t, 'login', loginRequest(jsonOf(t.body))),
  'users.get-me': (t) => {
    const me = signedIn(t);
    return relay(t, 'getMe', getMeRequest(me.id), me.id);
  },
  'users.update-me': (t) => {
    const me = signedIn(t);
    return relay(t, 'updateMe', updateMeRequest(me.id, jsonOf(t.body)), me.id);
  },
  'users.get-user': (t) => {
    signedIn(t);
    const id = t.params.id ?? '';
    return relay(t, 'getUser', getUserRequest(id), id);
  },
} satisfies Record<string, Translator>;
