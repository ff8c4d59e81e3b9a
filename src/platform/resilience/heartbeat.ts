/**
 * Runs `beat` every `intervalMs` until stopped, never two at once: what keeps a claim (a lease
 * on a row) alive while its holder waits on something slow. A failing beat goes to `onError`
 * and the next one is tried on time. stop() waits for a beat under way, so nothing is written
 * after it returns.
 */
export function startHeartbeat(
  intervalMs: number,
  beat: () => Promise<unknown>,
  onError: (error: unknown) => void,
): { stop(): Promise<void> } {
  let current: Promise<void> | undefined;
  const timer = setInterval(
    () => {
      current ??= beat()
        .then(
          () => undefined,
          (error: unknown) => onError(error),
        )
        .finally(() => {
          current = undefined;
        });
    },
    Math.max(1, intervalMs),
  );
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await current;
    },
  };
}
