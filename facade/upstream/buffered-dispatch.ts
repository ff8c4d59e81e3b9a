import type { Dispatcher } from 'undici';
import type { CallSignals } from './call-signals.ts';

// One request through undici's dispatcher API, its answer gathered by the handler itself: what
// `request` does, without the Readable, the async resource and the signal listener it sets up
// for every call (most of undici's cost per forwarded request here, for answers that are
// buffered anyway).

/** The answer is larger than the facade buffers. */
export class AnswerTooLarge extends Error {
  override name = 'AnswerTooLarge';
}

export interface BufferedAnswer {
  status: number;
  /** Lower-case names, as undici parsed them. */
  headers: Record<string, string | string[]>;
  body: Uint8Array;
}

/**
 * Dispatches `options` and buffers the answer, refusing more than `maxBytes` of it. Settles at
 * once when `signals` abort, whether or not the request has left undici's queue yet.
 */
export function dispatchBuffered(
  dispatcher: Dispatcher,
  options: Dispatcher.DispatchOptions,
  maxBytes: number,
  signals: CallSignals,
): Promise<BufferedAnswer> {
  return new Promise((resolve, reject) => {
    let status = 0;
    let headers: Record<string, string | string[]> = {};
    const chunks: Buffer[] = [];
    let size = 0;
    let controller: Dispatcher.DispatchController | undefined;
    let settled = false;
    let stopWatching = () => {};
    const settle = (error: unknown) => {
      if (settled) return;
      settled = true;
      stopWatching();
      reject(error);
    };
    // Assigned after settle exists: a call aborted already runs this at once.
    stopWatching = signals.onAbort((reason) => {
      controller?.abort(reason instanceof Error ? reason : new Error(String(reason)));
      settle(reason);
    });
    dispatcher.dispatch(options, {
      onRequestStart(started) {
        controller = started;
        if (settled) started.abort(new Error('the call ended before it was sent'));
      },
      onResponseStart(_, statusCode, answerHeaders) {
        status = statusCode;
        // undici never sets a header to undefined; its type allows it for request headers.
        headers = answerHeaders as Record<string, string | string[]>;
      },
      onResponseData(started, chunk) {
        size += chunk.length;
        if (size > maxBytes) {
          const tooLarge = new AnswerTooLarge(`the answer is over ${maxBytes} bytes`);
          started.abort(tooLarge);
          settle(tooLarge);
          return;
        }
        chunks.push(chunk);
      },
      onResponseEnd() {
        if (settled) return;
        settled = true;
        stopWatching();
        // One chunk (the usual small answer) is passed on as it came, without a copy.
        const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
        resolve({ status, headers, body });
      },
      onResponseError(_, error) {
        settle(error);
      },
    });
  });
}
