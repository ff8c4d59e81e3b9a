/**
 * A start-up that cannot go on for a reason the operator can fix (a taken port, a data
 * directory in use): the entry point prints its message as it is and exits 1.
 */
export class StartupError extends Error {}
