import type {
  Account,
  CreateAccount,
  CreateSession,
  Session,
  UpdateAccount,
} from '../../src/contracts/users/v1/index.ts';
import type {
  AccessToken,
  LoginInput,
  RegisterInput,
  UpdateMeInput,
  User,
} from '../../src/modules/users/index.ts';
import { renameBody } from './users-fields.ts';

// The users ACL: the legacy API (/api/users, /api/auth/login) ↔ users-service v1
// (/v1/accounts, /v1/sessions), field by field, both ways. Pure functions; the facade sends.
// Requests are translated from what the client sent (unknown JSON), so the service's
// validation answers it and its errors map back (users-problems.ts); responses are typed.

/** A request for users-service, as the facade sends it. */
export interface V1Request {
  method: 'GET' | 'POST' | 'PATCH';
  path: string;
  body?: unknown;
}

const registerFields = ['username', 'email', 'password', 'displayName'] as const;
const createAccountFields = ['login_name', 'email_address', 'password', 'display_name'] as const;
const loginFields = ['login', 'password'] as const;
const updateMeFields = ['username', 'email', 'displayName', 'password', 'currentPassword'] as const;
const updateAccountFields = [
  'login_name',
  'email_address',
  'display_name',
  'password',
  'current_password',
] as const;

export const accountPath = (id: string) => `/v1/accounts/${encodeURIComponent(id)}`;
export const legacyUserPath = (id: string) => `/api/users/${encodeURIComponent(id)}`;

// ── requests, legacy → v1 ────────────────────────────────────────────────────────────────

/** POST /api/users → POST /v1/accounts. */
export const registerRequest = (body: unknown): V1Request => ({
  method: 'POST',
  path: '/v1/accounts',
  body: renameBody(body, registerFields, 'toV1'),
});

/** POST /api/auth/login → POST /v1/sessions. */
export const loginRequest = (body: unknown): V1Request => ({
  method: 'POST',
  path: '/v1/sessions',
  body: renameBody(body, loginFields, 'toV1'),
});

/** GET /api/users/{id} → GET /v1/accounts/{id}. */
export const getUserRequest = (id: string): V1Request => ({ method: 'GET', path: accountPath(id) });

/** GET /api/users/me → GET /v1/accounts/{caller}: the facade knows who is calling. */
export const getMeRequest = (callerId: string): V1Request => getUserRequest(callerId);

/** PATCH /api/users/me → PATCH /v1/accounts/{caller}. */
export const updateMeRequest = (callerId: string, body: unknown): V1Request => ({
  method: 'PATCH',
  path: accountPath(callerId),
  body: renameBody(body, updateMeFields, 'toV1'),
});

// ── request bodies, typed, both ways ────────────────────────────────────────────────────

export const registerToCreateAccount = (body: RegisterInput) =>
  renameBody(body, registerFields, 'toV1') as CreateAccount;
export const createAccountToRegister = (body: CreateAccount) =>
  renameBody(body, createAccountFields, 'toLegacy') as RegisterInput;
export const loginToCreateSession = (body: LoginInput): CreateSession => ({
  login: body.login,
  password: body.password,
});
export const createSessionToLogin = (body: CreateSession): LoginInput => ({
  login: body.login,
  password: body.password,
});
export const updateMeToUpdateAccount = (body: UpdateMeInput) =>
  renameBody(body, updateMeFields, 'toV1') as UpdateAccount;
export const updateAccountToUpdateMe = (body: UpdateAccount) =>
  renameBody(body, updateAccountFields, 'toLegacy') as UpdateMeInput;

// ── responses, v1 → legacy (and back) ───────────────────────────────────────────────────

/** An account as the legacy API shows a user (its key order too). */
export const accountToUser = (account: Account): User => ({
  id: account.id,
  username: account.login_name,
  email: account.email_address,
  roles: account.roles,
  createdAt: account.created_at,
  displayName: account.display_name,
  updatedAt: account.updated_at,
});

export const userToAccount = (user: User): Account => ({
  id: user.id,
  login_name: user.username,
  email_address: user.email,
  display_name: user.displayName,
  roles: user.roles,
  created_at: user.createdAt,
  updated_at: user.updatedAt,
});

export const sessionToAccessToken = (session: Session): AccessToken => ({
  accessToken: session.access_token,
  tokenType: session.token_type,
  expiresAt: session.expires_at,
  user: accountToUser(session.account),
});

export const accessTokenToSession = (token: AccessToken): Session => ({
  access_token: token.accessToken,
  token_type: token.tokenType,
  expires_at: token.expiresAt,
  account: userToAccount(token.user),
});

/** The operations the legacy users API offers, each answered by one v1 call. */
export type UsersOperation = 'register' | 'login' | 'getUser' | 'getMe' | 'updateMe';

/** The legacy status of a v1 success: a sign-in is a 201 (a session made) in v1, a 200 in legacy. */
export function legacySuccessStatus(operation: UsersOperation, v1Status: number): number {
  return operation === 'login' && v1Status === 201 ? 200 : v1Status;
}

/** The legacy answer's body for a v1 success. */
export function legacySuccessBody(operation: UsersOperation, v1Body: unknown): User | AccessToken {
  return operation === 'login'
    ? sessionToAccessToken(v1Body as Session)
    : accountToUser(v1Body as Account);
}

/** `Location: /v1/accounts/{id}` → `/api/users/{id}`; other values pass. */
export function legacyLocation(location: string): string {
  const match = /^\/v1\/accounts\/([^/]+)$/.exec(location);
  return match ? `/api/users/${match[1]}` : location;
}
