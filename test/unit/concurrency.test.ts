import { describe, expect, it } from 'vitest';
import { forEachConcurrently } from '../../src/concurrency.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('forEachConcurrently', () => {
  it('runs every item, never more than the limit at once, starting them in order', async () => {
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    await forEachConcurrently([1, 2, 3, 4, 5], 2, async (n) => {
      started.push(n);
      running++;
      peak = Math.max(peak, running);
      await tick(5 * (6 - n));
      running--;
    });
    expect(started).toEqual([1, 2, 3, 4, 5]);
    expect(peak).toBe(2);
  });

  it('after a failure starts nothing new, waits for the running task, then throws the first error', async () => {
    const started: number[] = [];
    let finishedSecond = false;
    const run = forEachConcurrently([1, 2, 3, 4], 2, async (n) => {
      started.push(n);
      if (n === 1) throw new Error('first failed');
      await tick(20);
      if (n === 2) finishedSecond = true;
    });
    await expect(run).rejects.toThrow('first failed');
    expect(finishedSecond).toBe(true);
    expect(started).toEqual([1, 2]);
  });

  it('copes with no items and a limit above the count', async () => {
    await forEachConcurrently([], 4, async () => {
      throw new Error('never called');
    });
    const seen: string[] = [];
    await forEachConcurrently(['a'], 8, async (x) => {
      seen.push(x);
    });
    expect(seen).toEqual(['a']);
  });
});
