// The users capability's field names, legacy ↔ v1: the one table every users translator reads,
// so a request field, a response field and an error's field path are renamed alike.

/** Legacy field → v1 field, for every name that differs (`password`, `login`, `id` and `roles` do not). */
export const legacyToV1Field = {
  username: 'login_name',
  email: 'email_address',
  displayName: 'display_name',
  currentPassword: 'current_password',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
  accessToken: 'access_token',
  tokenType: 'token_type',
  expiresAt: 'expires_at',
  user: 'account',
} as const;

type LegacyToV1 = typeof legacyToV1Field;
const v1ToLegacyField = Object.fromEntries(
  Object.entries(legacyToV1Field).map(([legacy, v1]) => [v1, legacy]),
) as { [K in keyof LegacyToV1 as LegacyToV1[K]]: K };

const renamed = (table: Record<string, string>, name: string) => table[name] ?? name;

/**
 * Renames the fields of a JSON request body that `fields` lists and drops any other field (the
 * receiving side would ignore it, but could misread a field of its own name). Values pass
 * untouched, so the other side validates exactly what the client sent; a body that is not an
 * object (an array, null, text) passes as it is and fails there as it would have here.
 */
export function renameBody(
  body: unknown,
  fields: readonly string[],
  direction: 'toV1' | 'toLegacy',
): unknown {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return body;
  const table: Record<string, string> = direction === 'toV1' ? legacyToV1Field : v1ToLegacyField;
  const entries = Object.entries(body).filter(([name]) => fields.includes(name));
  return Object.fromEntries(entries.map(([name, value]) => [renamed(table, name), value]));
}

/** `json.login_name` → `json.username`: an error's field path in legacy names. */
export function legacyFieldPath(path: string): string {
  return path
    .split('.')
    .map((segment) => renamed(v1ToLegacyField, segment))
    .join('.');
}
