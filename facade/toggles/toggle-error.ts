/** Why the store refused a change; the admin API answers each as a 4xx. */
export type ToggleErrorCode =
  | 'reason-required'
  | 'percentage-out-of-range'
  | 'nothing-to-roll-back'
  /** A compare-and-set change found the route changed since it was read. */
  | 'version-moved';

export class ToggleError extends Error {
  readonly code: ToggleErrorCode;

  constructor(code: ToggleErrorCode, message: string) {
    super(message);
    this.name = 'ToggleError';
    this.code = code;
  }
}
