/**
 * Seeded randomness for tests that draw their cases (kill points, start staggers): the seed is
 * printed with the results, and the same seed replays the same draws.
 */

/** mulberry32: small, seedable, good enough to spread test cases; values in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed a replay names (a decimal number in `value`, e.g. an environment variable), else a fresh one. */
export function seedFrom(value: string | undefined): number {
  return Number(value ?? (Date.now() ^ (process.pid << 8)) >>> 0);
}
