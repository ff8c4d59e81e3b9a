import {
  captureBodyToV1,
  captureResponseFromV1,
  paymentFromV1,
  refundBodyToV1,
  refundResponseFromV1,
} from '../acl/payments.ts';
import { problemFromV1 } from '../acl/payments-errors.ts';
import { continueLegacyPage, startLegacyPage } from '../acl/payments-pagination.ts';
import {
  getMeRequest,
  getUserRequest,
  legacyLocation,
  legacySuccessBody,
  legacySuccessStatus,
  loginRequest,
  registerRequest,
  updateMeRequest,
} from '../acl/users.ts';
import { legacyProblem } from '../acl/users-problems.ts';

// The ACL translator of each route with a new side, by name: the route table stays data (a
// name), and a name the table uses is one the ACL has, checked by the compiler. Each
// translator holds the ACL functions (facade/acl/) its route goes through, and the operation
// name those functions take.

export const translators = {
  'users.register': {
    operation: 'register',
    request: registerRequest,
    response: { status: legacySuccessStatus, body: legacySuccessBody, location: legacyLocation },
    problem: legacyProblem,
  },
  'users.login': {
    operation: 'login',
    request: loginRequest,
    response: { status: legacySuccessStatus, body: legacySuccessBody },
    problem: legacyProblem,
  },
  'users.get-me': {
    operation: 'getMe',
    request: getMeRequest,
    response: { status: legacySuccessStatus, body: legacySuccessBody },
    problem: legacyProblem,
  },
  'users.update-me': {
    operation: 'updateMe',
    request: updateMeRequest,
    response: { status: legacySuccessStatus, body: legacySuccessBody },
    problem: legacyProblem,
  },
  'users.get-user': {
    operation: 'getUser',
    request: getUserRequest,
    response: { status: legacySuccessStatus, body: legacySuccessBody },
    problem: legacyProblem,
  },
  'payments.capture': {
    operation: 'capture',
    request: captureBodyToV1,
    response: { body: captureResponseFromV1 },
    problem: problemFromV1,
  },
  'payments.get': {
    operation: 'get',
    response: { body: paymentFromV1 },
    problem: problemFromV1,
  },
  'payments.list': {
    operation: 'list',
    // A legacy page is walked over v1 cursor pages: start, then continue until a page.
    request: startLegacyPage,
    response: { next: continueLegacyPage },
    problem: problemFromV1,
  },
  'payments.refund': {
    operation: 'refund',
    request: refundBodyToV1,
    response: { body: refundResponseFromV1 },
    problem: problemFromV1,
  },
} as const;

export type TranslatorName = keyof typeof translators;
export const translatorNames = Object.keys(translators) as [TranslatorName, ...TranslatorName[]];
