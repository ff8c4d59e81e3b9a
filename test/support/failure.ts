/** What `work` rejects with; throws (failing the test) if it resolves instead. */
export const failureOf = (work: Promise<unknown>): Promise<unknown> =>
  work.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error,
  );
