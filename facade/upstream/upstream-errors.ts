// What can go wrong calling an upstream, told apart by what the caller may do next. Each carries
// `code = 'UPSTREAM_UNAVAILABLE'`, so isInfrastructureError reads them as an outage, never as an
// answer about the request.

/** Why nothing reached the upstream. */
export type RejectionReason = 'connect-error' | 'circuit-open' | 'bulkhead-full' | 'no-instance';

abstract class UpstreamError extends Error {
  readonly code = 'UPSTREAM_UNAVAILABLE';
  /** The upstream's name. */
  readonly upstream: string;
  constructor(upstream: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.upstream = upstream;
  }
}

/** Nothing reached the upstream: the request may be answered elsewhere (a fallback) safely. */
export class UpstreamRejected extends UpstreamError {
  override name = 'UpstreamRejected';
  readonly reason: RejectionReason;
  constructor(upstream: string, reason: RejectionReason, message: string, options?: ErrorOptions) {
    super(upstream, message, options);
    this.reason = reason;
  }
}

/** The deadline passed with no complete answer: the request may have been carried out. */
export class UpstreamTimeout extends UpstreamError {
  override name = 'UpstreamTimeout';
}

/** The connection broke after the request went out (a reset, an answer too large or cut short). */
export class UpstreamBroken extends UpstreamError {
  override name = 'UpstreamBroken';
}

/** The client went away; its call was abandoned. Nobody waits for an answer. */
export class ClientGone extends UpstreamError {
  override name = 'ClientGone';
}

export const isUpstreamError = (error: unknown): error is UpstreamError =>
  error instanceof UpstreamError;
