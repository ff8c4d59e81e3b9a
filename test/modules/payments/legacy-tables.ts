// The legacy payments module's tables, for the extraction tests that read and tamper with its
// rows directly (test support for a module may reach its private files; other tests may not).
export { paymentRecords, refunds } from '../../../src/modules/payments/schema.ts';
