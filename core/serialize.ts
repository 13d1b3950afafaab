/**
 * A function that runs async work one piece at a time, in call order; a piece
 * that fails does not stop the ones after it.
 */
export function serializer(): <T>(work: () => Promise<T>) => Promise<T> {
  let chain: Promise<unknown> = Promise.resolve();
  return <T>(work: () => Promise<T>): Promise<T> => {
    const run = chain.then(work, work);
    chain = run.catch(() => undefined);
    return run;
  };
}
