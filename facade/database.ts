import { fileURLToPath } from 'node:url';

/** The facade's own migration stream (facade/drizzle.config.ts): bus tables and toggles. */
export const FACADE_MIGRATIONS = fileURLToPath(new URL('./migrations', import.meta.url));
