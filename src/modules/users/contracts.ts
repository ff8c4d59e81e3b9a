import { z } from '@hono/zod-openapi';
import {
  accountIdSchema,
  displayNameSchema,
  emailAddressSchema,
  loginSchema as loginFieldSchema,
  loginNameSchema,
  passwordSchema,
  presentedPasswordSchema,
} from '../../contracts/users/v1/index.ts';
import { roleSchema } from '../../platform/auth/access-token.ts';

// What crosses the users module's boundary: REST inputs and outputs and the API other modules
// call. Every TypeScript type below is inferred from these schemas.

// The field rules are the published contract's (src/contracts/users/v1), so a sign-up the legacy
// API accepts users-service accepts too, and both refuse the same input with the same message.
export const userIdSchema = accountIdSchema;
/** Stored lowercased, so `Alice` and `alice` are one account. */
export const usernameSchema = loginNameSchema;
/** Stored lowercased: mail systems treat addresses case-insensitively in practice. */
export const emailSchema = emailAddressSchema;
export { passwordSchema };

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
    login: loginFieldSchema,
    password: presentedPasswordSchema,
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
    currentPassword: presentedPasswordSchema.optional(),
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
export type { ChangedField } from '../../contracts/users/v1/index.ts';

export const userStatsSchema = z.object({ users: z.number().int() });
export type UserStats = z.infer<typeof userStatsSchema>;

/**
 * An account as the store holds it, hash and version included: what the extraction's backfill
 * and verifier read (facade/extraction/users.ts), never an API answer.
 */
export const accountRecordSchema = z.object({
  id: userIdSchema,
  username: z.string(),
  email: z.string(),
  displayName: z.string().nullable(),
  roles: z.array(roleSchema),
  passwordHash: z.string(),
  tokensValidAfter: z.iso.datetime().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  version: z.number().int().positive(),
});
export type AccountRecord = z.infer<typeof accountRecordSchema>;
