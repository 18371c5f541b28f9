/**
 * A repeatable option that also takes a comma-separated list: `--format a,b` is the same as
 * `--format a --format b` (as notation and cosign users type it).
 */
import type { Options } from 'yargs';

/** Splits each value on commas, trims, drops empty items. */
export function splitList(values: unknown): string[] {
  const list = Array.isArray(values) ? (values as unknown[]) : values === undefined ? [] : [values];
  return list.flatMap((v) => String(v).split(',')).map((s) => s.trim()).filter((s) => s !== '');
}

/** yargs settings for such an option. */
export function listOption(describe: string): Options {
  return { type: 'string', array: true, coerce: splitList, describe };
}
