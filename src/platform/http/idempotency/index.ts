// Idempotency-Key for a component's POSTs: records in the component's own schema (table.ts),
// the claim/complete store, and `idempotently` that runs a write once per key.
export { idempotently, type KeepAnswer } from './idempotently.ts';
export { canonicalJson, requestHash, secretRequestHash } from './request-hash.ts';
export {
  type Claim,
  createIdempotencyStore,
  type IdempotencyRequest,
  type IdempotencyStore,
  replayedProblem,
  type StoredAnswer,
} from './store.ts';
export { type IdempotencyTable, idempotencyRecordsTable } from './table.ts';
