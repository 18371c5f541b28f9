/**
 * What every command that replaces a file another run may be changing (sign, strip, repack) declares
 * and passes the library alike: `--lock-wait <seconds>` (the library waits `lockWaitMs` for the
 * other run's lock; a release script that would rather fail at once than queue gives 0), and the
 * run's progress display, Ctrl-C signal, lock-wait notice and direct-I/O choice.
 */
import { airsignError } from '../errors.js';
import type { CommandContext } from './command.js';

export const LOCK_WAIT_OPTION = {
  type: 'number',
  describe: 'Seconds to wait while another airsign run changes the same file or directory (default 300; 0: fail at once)',
} as const;

/** The library's `lockWaitMs` for `--lock-wait` (undefined: the library's default). */
export function lockWaitMs(seconds: number | undefined): { lockWaitMs?: number } {
  if (seconds === undefined) return {};
  if (!Number.isFinite(seconds) || seconds < 0) throw airsignError('USAGE', '--lock-wait takes a number of seconds, 0 or more');
  return { lockWaitMs: Math.round(seconds * 1000) };
}

/** The options a layout-writing operation takes from the run and its --lock-wait. */
export function writeRunOptions(context: CommandContext, lockWaitSeconds: number | undefined) {
  return {
    progress: context.progress,
    signal: context.signal,
    onLockWait: context.onLockWait,
    ...lockWaitMs(lockWaitSeconds),
    directIo: context.directIo,
  };
}
