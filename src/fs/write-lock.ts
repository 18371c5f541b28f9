/**
 * The guard every command that replaces a file in place runs under (`sign`, `strip`, `repack`):
 * exclusive locks (file-lock.ts) on what it replaces and on a strip directory, held from before
 * the input is read until after the rename; and, just before the rename, a check that the input
 * is still the very file that was read (same device, inode, size and modification time), so a
 * writer that ignores our locks cannot make us drop its work silently either.
 */
import { realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { airsignError } from '../errors.js';
import { acquireLocks, type LockHolder } from './file-lock.js';
import type { PlatformFs } from './platform-fs.js';
import { checkOutputTarget } from './output-target.js';

export interface WriteLockOptions {
  /** The layout read (a tar or a directory; `-` for stdin). */
  source: string;
  /** Where the result goes; undefined: the source is replaced in place. */
  output?: string | undefined;
  /** Further paths to lock (a strip directory); skipped where their folder is read-only. */
  alsoLock?: readonly string[];
  /** Milliseconds to wait for another run's lock (default 5 minutes). */
  lockWaitMs?: number | undefined;
  onLockWait?: ((holder: LockHolder, path: string) => void) | undefined;
  signal?: AbortSignal | undefined;
  /** The rename/remove calls of the lock files and whose platform rules apply (default: node:fs). */
  platformFs?: PlatformFs | undefined;
}

export interface WriteGuard {
  /** Throws LAYOUT_CHANGED when the input replaced in place is no longer what was read. */
  checkUnchanged(): Promise<void>;
}

interface Identity {
  dev: bigint;
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
}

async function identityOf(path: string): Promise<Identity | undefined> {
  const s = await stat(path, { bigint: true }).catch(() => undefined);
  if (s === undefined) return undefined;
  return { dev: s.dev, ino: s.ino, size: s.size, mtimeNs: s.mtimeNs };
}

function same(a: Identity | undefined, b: Identity | undefined): boolean {
  return a !== undefined && b !== undefined && a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs;
}

/**
 * The one name of a path that may not exist yet: its real path, or its folder's real path and its
 * own name. The lock file sits beside the path's last component, so two runs that reach one strip
 * directory through a symbolic link and through its real name must resolve that link first, or
 * each takes its own lock and both work on the directory at once. (An --output cannot be a link:
 * output-target refuses it, and a linked folder above it does not move the lock file.)
 */
async function canonicalPath(path: string): Promise<string> {
  const absolute = resolve(path);
  const real = await realpath(absolute).catch(() => undefined);
  if (real !== undefined) return real;
  const folder = await realpath(dirname(absolute)).catch(() => undefined);
  return folder === undefined ? absolute : join(folder, basename(absolute));
}

/** Runs `work` holding the locks; `work` must call guard.checkUnchanged() just before replacing anything. */
export async function withWriteLock<T>(options: WriteLockOptions, work: (guard: WriteGuard) => Promise<T>): Promise<T> {
  // A refused output costs nothing, and its message names the user's path, not the lock file.
  if (options.output !== undefined) await checkOutputTarget(options.output);
  const inPlace = options.output === undefined && options.source !== '-';
  const sourceReal = options.source === '-' ? undefined : await realpath(options.source).catch(() => undefined);
  const targets: Array<string | { path: string; optional: boolean }> = [];
  for (const p of options.alsoLock ?? []) targets.push({ path: await canonicalPath(p), optional: true });
  if (options.output !== undefined) targets.push(resolve(options.output));
  else if (sourceReal !== undefined) targets.push(sourceReal);
  const lock = await acquireLocks(targets, {
    ...(options.lockWaitMs === undefined ? {} : { waitMs: options.lockWaitMs }),
    ...(options.onLockWait === undefined ? {} : { onWait: (holder: LockHolder) => options.onLockWait!(holder, options.output ?? options.source) }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.platformFs === undefined ? {} : { platformFs: options.platformFs }),
  });
  try {
    // A directory layout changes through its index.json; a tar is replaced whole.
    const watched =
      inPlace && sourceReal !== undefined ? ((await stat(sourceReal).catch(() => undefined))?.isDirectory() ? join(sourceReal, 'index.json') : sourceReal) : undefined;
    const before = watched === undefined ? undefined : await identityOf(watched);
    return await work({
      checkUnchanged: async () => {
        if (watched === undefined || before === undefined) return;
        if (!same(before, await identityOf(watched))) {
          throw airsignError('LAYOUT_CHANGED', `${options.source} was changed by another program while airsign worked on it; nothing was written (run again)`, {
            details: { path: options.source },
          });
        }
      },
    });
  } finally {
    await lock.release();
  }
}

/** Options every operation that writes a layout takes for interrupts and concurrent runs. */
export interface RunControlOptions {
  /** Cancels the operation: it removes what it made and rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Milliseconds to wait while another run holds the file (default 5 minutes; 0: fail at once with LAYOUT_LOCKED). */
  lockWaitMs?: number;
  /** Called once when another run holds the file and this one starts waiting. */
  onLockWait?: (holder: LockHolder, path: string) => void;
}
