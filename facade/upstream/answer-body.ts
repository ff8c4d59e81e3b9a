import type { Readable } from 'node:stream';

/** The answer is larger than the facade buffers. */
export class AnswerTooLarge extends Error {
  override name = 'AnswerTooLarge';
}

/** Reads a whole answer body into one Uint8Array, refusing more than `maxBytes`. */
export async function readAnswerBody(body: Readable, maxBytes: number): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      body.destroy();
      throw new AnswerTooLarge(`the answer is over ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  // One chunk (the usual small answer) is returned as it came, without a copy.
  if (chunks.length === 1) return chunks[0] as Buffer;
  return Buffer.concat(chunks, size);
}
