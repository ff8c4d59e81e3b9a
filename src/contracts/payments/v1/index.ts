// The published contract of the payments capability, v1: payments-service's API and the
// payment.* events, whichever side (the legacy module or the service) publishes them. Imports
// only src/platform; the legacy module, the service, the ACL and HTTP adapters import this.
export * from './api.ts';
export * from './events.ts';
export * from './replication.ts';
