import { z } from '@hono/zod-openapi';
import { roleSchema } from '../../platform/auth/access-token.ts';

// What crosses the users module's boundary: REST inputs and outputs and the API other modules
// call. Every TypeScript type below is inferred from these schemas.

export const userIdSchema = z.uuid().openapi({ example: '6f1c2a4e-3b5d-4e7f-9a1b-2c3d4e5f6a7b' });

/** Stored lowercased, so `Alice` and `alice` are one account. */
export const usernameSchema = z
  .string()
  .trim()
  .toLowerCase()
  .min(3)
  .max(32)
  .regex(/^[a-z0-9_.-]+$/, 'letters, digits, ".", "_" and "-" only')
  .openapi({ example: 'alice' });

/** Stored lowercased: mail systems treat addresses case-insensitively in practice. */
export const emailSchema = z
  .email()
  .max(254)
  .toLowerCase()
  .openapi({ example: 'alice@example.com' });

// The upper bound keeps one login from buying unbounded hashing work.
export const passwordSchema = z.string().min(8).max(200).openapi({ format: 'password' });

// Control characters are junk in a name (NUL, which PostgreSQL cannot store, is refused for
// every input by the router).
const noControlCharacters = (text: string) => !/\p{Cc}/u.test(text);
const controlCharactersMessage = 'must not contain control characters';

const displayNameSchema = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .refine(noControlCharacters, controlCharactersMessage)
  .openapi({ example: 'Alice Liddell' });

/** What other modules may learn about an account (`UsersApi.getUser`). */
export const userSummarySchema = z.object({
  id: userIdSchema,
  username: z.string(),
  email: z.string(),
  roles: z.array(roleSchema),
  createdAt: z.iso.datetime(),
});
export type UserSummary = z.infer<typeof userSummarySchema>;

/** An account as its owner (or an admin) sees it; never carries the password hash. */
export const userSchema = userSummarySchema
  .extend({
    displayName: z.string().nullable(),
    updatedAt: z.iso.datetime(),
  })
  .openapi('User');
export type User = z.infer<typeof userSchema>;

export const registerSchema = z
  .object({
    username: usernameSchema,
    email: emailSchema,
    password: passwordSchema,
    displayName: displayNameSchema.optional(),
  })
  .openapi('Register');
export type RegisterInput = z.infer<typeof registerSchema>;

export const loginSchema = z
  .object({
    /** A username or an email address. */
    login: z
      .string()
      .trim()
      .toLowerCase()
      .min(1)
      .max(254)
      .refine(noControlCharacters, controlCharactersMessage)
      .openapi({ example: 'alice' }),
    password: z.string().min(1).max(200).openapi({ format: 'password' }),
  })
  .openapi('Login');
export type LoginInput = z.infer<typeof loginSchema>;

export const accessTokenSchema = z
  .object({
    accessToken: z.string(),
    tokenType: z.literal('Bearer'),
    expiresAt: z.iso.datetime(),
    user: userSchema,
  })
  .openapi('AccessToken');
export type AccessToken = z.infer<typeof accessTokenSchema>;

export const updateMeSchema = z
  .object({
    username: usernameSchema.optional(),
    email: emailSchema.optional(),
    /** null clears it. */
    displayName: displayNameSchema.nullable().optional(),
    /** The new password; needs `currentPassword`. */
    password: passwordSchema.optional(),
    currentPassword: z.string().min(1).max(200).optional().openapi({ format: 'password' }),
  })
  .refine(
    (patch) =>
      patch.username !== undefined ||
      patch.email !== undefined ||
      patch.displayName !== undefined ||
      patch.password !== undefined,
    { message: 'give at least one field to change' },
  )
  .refine((patch) => patch.password === undefined || patch.currentPassword !== undefined, {
    message: 'a new password needs the current one',
    path: ['currentPassword'],
  })
  .openapi('UpdateMe');
export type UpdateMeInput = z.infer<typeof updateMeSchema>;

/** The field names `user.updated` may list in `changed`. */
export type ChangedField = 'username' | 'email' | 'displayName' | 'password';

export const userStatsSchema = z.object({ users: z.number().int() });
export type UserStats = z.infer<typeof userStatsSchema>;
