// The users capability's published language, v1: users-service's API and the events that cross
// processes. The legacy users module, users-service and the ACL import it; it imports only
// src/platform.
export * from './api.ts';
export * from './events.ts';
export * from './replication.ts';
export * from './token-events.ts';
