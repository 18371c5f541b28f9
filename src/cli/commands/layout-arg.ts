/** yargs turns a bare `-` positional into an empty string; we take it to mean stdin. */
export function layoutArg(value: string): string {
  return value === '' ? '-' : value;
}
