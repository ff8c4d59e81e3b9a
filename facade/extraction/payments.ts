import {
  applyPaymentState,
  OrderConflict,
  readPaymentStates,
} from '../../extracted/payments-service/index.ts';
import type { PaymentState } from '../../src/contracts/payments/v1/index.ts';
import {
  countSettledPayments,
  type PaymentRecordSnapshot,
  readPaymentSnapshots,
} from '../../src/modules/payments/index.ts';
import { paymentSnapshotToV1 } from '../acl/payments.ts';
import type { CapabilityExtraction, ComparableRow } from './capability.ts';

// Payments' half of extract:backfill and extract:verify: settled payments with their refunds
// (a payment still at the provider is left out on both sides until it has its outcome), copied
// and compared in payment.changed's shape, the legacy side mapped through the ACL.

/** A payment's state as flat fields: `payment.amount.amount_minor`, `refund.id`, `version`. */
function comparable(state: PaymentState): ComparableRow {
  const fields: Record<string, unknown> = {};
  const flatten = (prefix: string, value: unknown) => {
    if (value !== null && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) flatten(`${prefix}${key}.`, inner);
    } else {
      fields[prefix.slice(0, -1)] = value;
    }
  };
  flatten('', { ...state, refund: state.refund ?? { id: null } });
  // An optional field that is absent on one side and present on the other must show up.
  for (const optional of ['decline_reason', 'provider_ref', 'card_last4']) {
    fields[`payment.${optional}`] ??= null;
  }
  if (state.refund) fields['refund.provider_ref'] ??= null;
  return { id: state.payment.id, fields };
}

export const paymentsExtraction: CapabilityExtraction<PaymentRecordSnapshot, PaymentState> = {
  name: 'payments',
  readLegacy: async (db, after, limit) =>
    (await readPaymentSnapshots(db, after, limit)).map(({ key, snapshot }) => ({
      key,
      row: snapshot,
    })),
  readService: async (db, after, limit) =>
    (await readPaymentStates(db, after, limit)).map(({ key, state }) => ({ key, row: state })),
  async copyToService(db, row) {
    try {
      return await applyPaymentState(db, paymentSnapshotToV1(row));
    } catch (error) {
      if (error instanceof OrderConflict) return 'conflict';
      throw error;
    }
  },
  countLegacy: (db) => countSettledPayments(db),
  uniqueFields: ['payment.order_ref'],
  compareLegacy: (row) => comparable(paymentSnapshotToV1(row)),
  compareService: (row) => comparable(row),
};
