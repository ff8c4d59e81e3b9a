// TEMP STUB (replaced by the upstream helper's merge)
export interface UpstreamCall {
  method: string; path: string; headers: Record<string, string>;
  body?: Uint8Array | string; deadlineAt: number; signal?: AbortSignal;
  retry?: { maxAttempts: number; baseDelayMs: number; maxDelayMs: number };
}
export interface UpstreamAnswer { status: number; headers: Record<string, string | string[]>; body: Uint8Array; instance: string; attempts: number }
export interface UpstreamState { circuit: 'closed' | 'open' | 'half-open'; active: number; queued: number; instances: Array<{ url: string; healthy: boolean; ejectedUntil: string | null }> }
export interface Upstream { name: string; send(call: UpstreamCall): Promise<UpstreamAnswer>; state(): UpstreamState; close(): Promise<void> }
export class UpstreamRejected extends Error { readonly code = 'UPSTREAM_UNAVAILABLE'; constructor(readonly reason: 'connect-error' | 'circuit-open' | 'bulkhead-full' | 'no-instance', message: string) { super(message); } }
export class UpstreamTimeout extends Error { readonly code = 'UPSTREAM_UNAVAILABLE'; }
export class UpstreamBroken extends Error { readonly code = 'UPSTREAM_UNAVAILABLE'; }
export class ClientGone extends Error {}
