import { paymentsTranslators } from '../acl/payments-translators.ts';
import { usersTranslators } from '../acl/users-translators.ts';
import type { Translator } from '../proxy/translation.ts';

// The ACL translator of each route with a new side, by name: the route table stays data (a
// name), and a name the table uses is one the ACL has, checked by the compiler.

export const translators = {
  ...usersTranslators,
  ...paymentsTranslators,
} satisfies Record<string, Translator>;

export type TranslatorName = keyof typeof translators;
export const translatorNames = Object.keys(translators) as [TranslatorName, ...TranslatorName[]];
