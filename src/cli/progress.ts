/** The terminal renderer of library Progress: a bar on stderr, drawn only when stderr is a terminal. */
import { silentProgress, type Progress } from '../progress.js';

/** The bar, and a way to take it off its line before another message is written there. */
export interface TerminalProgress extends Progress {
  /** Erases the bar's line if one is drawn, so a message written next starts at column 0. */
  clearLine(): void;
}

export function createProgress(stream: NodeJS.WriteStream, enabled: boolean): TerminalProgress {
  if (!enabled || !stream.isTTY) return { ...silentProgress, clearLine: () => undefined };
  let drawn = false;
  let label = '';
  let total: number | undefined;
  let done = 0;
  let last = 0;
  const draw = (force: boolean) => {
    const now = Date.now();
    if (!force && now - last < 100) return;
    last = now;
    const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - 40));
    let line: string;
    if (total && total > 0) {
      const ratio = Math.min(1, done / total);
      const filled = Math.round(ratio * width);
      line = `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(ratio * 100).toFixed(0)}% ${mib(done)}/${mib(total)}`;
    } else {
      line = `${label} ${mib(done)}`;
    }
    stream.write(`\r${line}\x1b[K`);
    drawn = true;
  };
  return {
    start(l, t) {
      label = l;
      total = t;
      done = 0;
      draw(true);
    },
    advance(bytes) {
      done += bytes;
      draw(false);
    },
    done() {
      stream.write('\r\x1b[K');
      drawn = false;
    },
    clearLine() {
      if (!drawn) return;
      stream.write('\r\x1b[K');
      drawn = false;
    },
  };
}

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}
