/** One item waiting for its batch, settled with the batch's outcome for it. */
export interface Waiting<T> {
  item: T;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Group commit: an item that comes while no batch runs starts one at once, on its own; items
 * that come while a batch runs wait and go together in the next one. A quiet subscriber so
 * handles each event as soon as it comes, and a busy one shares a transaction among as many as
 * piled up meanwhile (at most its worker's concurrency: BullMQ hands out no more jobs than that
 * at a time). `run` settles each item of its batch; should it throw, what it left is rejected.
 */
export function groupCommit<T>(
  run: (batch: Waiting<T>[]) => Promise<void>,
): (item: T) => Promise<void> {
  let waiting: Waiting<T>[] = [];
  let running = false;
  const drain = async () => {
    running = true;
    while (waiting.length > 0) {
      const batch = waiting;
      waiting = [];
      await run(batch).catch((error: unknown) => {
        for (const item of batch) item.reject(error);
      });
    }
    running = false;
  };
  return (item) =>
    new Promise<void>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      if (!running) void drain();
    });
}
