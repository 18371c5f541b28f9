/**
 * How long library work (reading, copying, writing tars) reports how far it is. The library only
 * calls these methods; drawing a bar is the caller's business (the CLI renders one on a terminal).
 */

export interface Progress {
  /** Starts (or restarts) a bar for `label` over `total` bytes (undefined when unknown). */
  start(label: string, total?: number): void;
  /** Adds `bytes` done. */
  advance(bytes: number): void;
  /** Clears the bar. */
  done(): void;
}

/** A Progress that reports nothing: the default when no `progress` option is given. */
export const silentProgress: Progress = { start() {}, advance() {}, done() {} };
