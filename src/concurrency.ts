/**
 * Runs `task` for every item with at most `limit` running at once, in order of the items. After the
 * first failure no new task starts; the running ones are waited for, then the first error is thrown
 * (so callers can clean up knowing nothing is still writing).
 */
export async function forEachConcurrently<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const item = items[next++]!;
      try {
        await task(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure !== undefined) throw failure.error;
}

/**
 * Runs tasks as they are added, at most `limit` at once: `add` waits for room before it starts the
 * task (and throws the first failure instead, starting nothing more); `settle` waits for every
 * running task and then throws the first failure, if any.
 */
export class TaskLimit {
  private readonly running = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;

  constructor(private readonly limit: number) {}

  async add(task: () => Promise<void>): Promise<void> {
    while (this.failure === undefined && this.running.size >= this.limit) await Promise.race(this.running);
    if (this.failure !== undefined) throw this.failure.error;
    const run: Promise<void> = task()
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => this.running.delete(run));
    this.running.add(run);
  }

  async settle(): Promise<void> {
    while (this.running.size > 0) await Promise.race(this.running);
    if (this.failure !== undefined) throw this.failure.error;
  }
}
