import { z } from '@hono/zod-openapi';
import { roleSchema } from '../../../platform/auth/access-token.ts';

// users-service's API, v1. Its vocabulary differs from the legacy module's on purpose
// (accounts and sessions, snake_case fields, `login_name`, `email_address`): the ACL in
// facade/acl/users.ts translates. The field rules are the legacy ones, so a body one side
// accepts the other accepts too.

export const accountIdSchema = z
  .uuid()
  .openapi({ example: '6f1c2a4e-3b5d-4e7f-9a1b-2c3d4e5f6a7b' });

/** Stored lowercased, so `Alice` and `alice` are one account. */
export const loginNameSchema = z
  .string()
  .trim()
  .toLowerCase()
  .min(3)
  .max(32)
  .regex(/^[a-z0-9_.-]+$/, 'letters, digits, ".", "_" and "-" only')
  .openapi({ example: 'alice' });

/** Stored lowercased: mail systems treat addresses case-insensitively in practice. */
export const emailAddressSchema = z
  .email()
  .max(254)
  .toLowerCase()
  .openapi({ example: 'alice@example.com' });

// The upper bound keeps one login from buying unbounded hashing work.
export const passwordSchema = z.string().min(8).max(200).openapi({ format: 'password' });

/** A password as typed to prove who you are (a login, a password change): any non-empty one. */
export const presentedPasswordSchema = z.string().min(1).max(200).openapi({ format: 'password' });

// Control characters are junk in a name (NUL, which PostgreSQL cannot store, is refused for
// every input by the router).
export const noControlCharacters = (text: string) => !/\p{Cc}/u.test(text);
export const controlCharactersMessage = 'must not contain control characters';

export const displayNameSchema = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .refine(noControlCharacters, controlCharactersMessage)
  .openapi({ example: 'Alice Liddell' });

/** A login name or an email address. */
export const loginSchema = z
  .string()
  .trim()
  .toLowerCase()
  .min(1)
  .max(254)
  .refine(noControlCharacters, controlCharactersMessage)
  .openapi({ example: 'alice' });

/** An account as its owner (or an admin) sees it; never carries the password hash. */
export const accountSchema = z
  .object({
    id: accountIdSchema,
    login_name: z.string(),
    email_address: z.string(),
    display_name: z.string().nullable(),
    roles: z.array(roleSchema),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
  })
  .openapi('Account');
export type Account = z.infer<typeof accountSchema>;

export const createAccountSchema = z
  .object({
    login_name: loginNameSchema,
    email_address: emailAddressSchema,
    password: passwordSchema,
    display_name: displayNameSchema.optional(),
  })
  .openapi('CreateAccount');
export type CreateAccount = z.infer<typeof createAccountSchema>;

export const updateAccountSchema = z
  .object({
    login_name: loginNameSchema.optional(),
    email_address: emailAddressSchema.optional(),
    /** null clears it. */
    display_name: displayNameSchema.nullable().optional(),
    /** The new password; needs `current_password`. */
    password: passwordSchema.optional(),
    current_password: presentedPasswordSchema.optional(),
  })
  .refine(
    (patch) =>
      patch.login_name !== undefined ||
      patch.email_address !== undefined ||
      patch.display_name !== undefined ||
      patch.password !== undefined,
    { message: 'give at least one field to change' },
  )
  .refine((patch) => patch.password === undefined || patch.current_password !== undefined, {
    message: 'a new password needs the current one',
    path: ['current_password'],
  })
  .openapi('UpdateAccount');
export type UpdateAccount = z.infer<typeof updateAccountSchema>;

export const createSessionSchema = z
  .object({ login: loginSchema, password: presentedPasswordSchema })
  .openapi('CreateSession');
export type CreateSession = z.infer<typeof createSessionSchema>;

export const sessionSchema = z
  .object({
    access_token: z.string(),
    token_type: z.literal('Bearer'),
    expires_at: z.iso.datetime(),
    account: accountSchema,
  })
  .openapi('Session');
export type Session = z.infer<typeof sessionSchema>;

/** `Idempotency-Key` on POST /v1/accounts: same key and body → the first answer again. */
export const idempotencyKeySchema = z.string().min(1).max(200);

/**
 * The stable codes users-service puts in a problem's `type`
 * (`https://commerce.example/errors/<code>`): what a caller branches on, never the status.
 */
export const usersErrorCodes = [
  'validation-failed',
  'login-name-taken',
  'email-address-taken',
  'invalid-credentials',
  'current-password-wrong',
  'password-changed-meanwhile',
  'account-not-found',
  'idempotency-key-reused',
  'idempotency-key-in-use',
] as const;
export type UsersErrorCode = (typeof usersErrorCodes)[number];
