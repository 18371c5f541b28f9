/**
 * SIGINT, SIGTERM and SIGHUP for the CLI (the library never installs signal handlers): the first
 * signal aborts the running command through its AbortSignal, so it removes what it has not
 * finished and unwinds; the CLI then exits 128 + the signal number (130, 143, 129). If the command
 * has not unwound after a grace period, or a second signal comes, every temp file the library
 * registered is removed synchronously and the process exits at once.
 */
import { constants } from 'node:os';
import { removeTrackedTemporariesSync } from '../fs/temp-files.js';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
type HandledSignal = (typeof SIGNALS)[number];

/** How long a command gets to unwind after the first signal before the process ends anyway. */
const INTERRUPT_GRACE_MS = 3000;

export interface InterruptScope {
  readonly signal: AbortSignal;
  /** The signal received, if any. */
  received(): HandledSignal | undefined;
  /** 128 + the signal number. */
  exitCode(): number;
  /** Removes the handlers (the command finished). */
  dispose(): void;
}

function exitCodeForSignal(name: HandledSignal): number {
  return 128 + constants.signals[name];
}

export function installInterruptHandlers(log: (message: string) => void): InterruptScope {
  const controller = new AbortController();
  let received: HandledSignal | undefined;
  let timer: NodeJS.Timeout | undefined;
  const handlers = new Map<HandledSignal, () => void>();
  const forceExit = (name: HandledSignal) => {
    removeTrackedTemporariesSync();
    process.exit(exitCodeForSignal(name));
  };
  for (const name of SIGNALS) {
    const handler = () => {
      if (received !== undefined) return forceExit(received);
      received = name;
      log(`interrupted (${name}); removing unfinished files`);
      controller.abort(new DOMException(`interrupted by ${name}`, 'AbortError'));
      timer = setTimeout(() => forceExit(name), INTERRUPT_GRACE_MS);
    };
    handlers.set(name, handler);
    process.on(name, handler);
  }
  return {
    signal: controller.signal,
    received: () => received,
    exitCode: () => (received === undefined ? 0 : exitCodeForSignal(received)),
    dispose: () => {
      if (timer !== undefined) clearTimeout(timer);
      for (const [name, handler] of handlers) process.off(name, handler);
    },
  };
}
