// payment.* cross processes (the legacy module and payments-service publish the same contract),
// so they are defined once, in the published contract.
export {
  paymentCaptured,
  paymentFailed,
  paymentRefunded,
} from '../../contracts/payments/v1/events.ts';
export { paymentChanged } from '../../contracts/payments/v1/replication.ts';
