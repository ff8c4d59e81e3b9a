import {
  loadPaymentsServiceConfig,
  paymentsServiceComponent,
} from '../../extracted/payments-service/index.ts';
import {
  loadUsersServiceConfig,
  usersServiceComponent,
} from '../../extracted/users-service/index.ts';
import { openComponentDatabase } from '../../src/platform/component/start-component.ts';
import type { DatabaseHandle } from '../../src/platform/db/database.ts';
import type { CapabilityExtraction } from './capability.ts';
import { paymentsExtraction } from './payments.ts';
import { usersExtraction } from './users.ts';

/** A capability extract:backfill and extract:verify can move: its rows, and its service's store. */
export interface Capability {
  extraction: CapabilityExtraction;
  /** The extracted service's database (its URL from the environment, else its PGlite directory). */
  openService(): Promise<DatabaseHandle>;
}

/** Every capability the commands know, by the name they are given (`-- payments`). */
export const capabilities: Record<string, Capability> = {
  payments: {
    extraction: paymentsExtraction,
    openService: () => openComponentDatabase(paymentsServiceComponent, loadPaymentsServiceConfig()),
  },
  users: {
    extraction: usersExtraction,
    openService: () => openComponentDatabase(usersServiceComponent, loadUsersServiceConfig()),
  },
};
