/**
 * A PlatformFs over the real (Linux) file system that refuses what Windows refuses, so the win32
 * code paths of sign, strip, repack and the atomic writer run here against Windows rules:
 * - rename onto a read-only file fails with EPERM (blobs are 0o444: the read-only attribute);
 * - rename onto a file that is open fails with EPERM while any handle to it is open (found through
 *   /proc/self/fd by device and inode, so every handle of this process counts, whoever opened it);
 * - every rename onto a given name first fails `transientRenameFailures` times (EPERM, EACCES,
 *   EBUSY in turn: a scanner or indexer holding the new file), then is tried for real;
 * - removing an existing path fails with EBUSY unless the caller's maxRetries covers
 *   `transientRemoveFailures` (Node's rm retries exactly that many times on Windows).
 * `platform` says whose rules the library should follow; give 'linux' to show that without the
 * win32 handling the same run fails here. Sleeps are not waited, only added up.
 */
import { readdir, stat } from 'node:fs/promises';
import { NODE_FS, type PlatformFs, type RemoveOptions } from '../../src/fs/platform-fs.js';

export interface WindowsFsOptions {
  platform?: NodeJS.Platform;
  transientRenameFailures?: number;
  transientRemoveFailures?: number;
}

export interface WindowsFs extends PlatformFs {
  /** What the simulated Windows refused, and what went through. */
  readonly log: { renames: number; transient: number; readOnlyRefused: number; openRefused: number; removed: number; removeRefused: number; sleptMs: number };
}

const TRANSIENT_CODES = ['EPERM', 'EACCES', 'EBUSY'] as const;

function errno(code: string, syscall: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: operation not permitted (simulated Windows), ${syscall} '${path}'`), { code, syscall, path });
}

/** Whether any descriptor of this process has `path`'s file open. */
export async function isOpenHere(path: string): Promise<boolean> {
  const target = await stat(path, { bigint: true }).catch(() => undefined);
  if (target === undefined) return false;
  for (const fd of await readdir('/proc/self/fd')) {
    const s = await stat(`/proc/self/fd/${fd}`, { bigint: true }).catch(() => undefined);
    if (s !== undefined && s.isFile() && s.dev === target.dev && s.ino === target.ino) return true;
  }
  return false;
}

export function windowsFs(options: WindowsFsOptions = {}): WindowsFs {
  const transientRenames = options.transientRenameFailures ?? 0;
  const transientRemoves = options.transientRemoveFailures ?? 0;
  const pending = new Map<string, number>();
  const log = { renames: 0, transient: 0, readOnlyRefused: 0, openRefused: 0, removed: 0, removeRefused: 0, sleptMs: 0 };
  return {
    platform: options.platform ?? 'win32',
    log,
    async rename(from: string, to: string): Promise<void> {
      log.renames++;
      const left = pending.get(to) ?? transientRenames;
      if (left > 0) {
        pending.set(to, left - 1);
        log.transient++;
        throw errno(TRANSIENT_CODES[(transientRenames - left) % TRANSIENT_CODES.length]!, 'rename', from);
      }
      const existing = await stat(to).catch(() => undefined);
      if (existing?.isFile()) {
        if ((existing.mode & 0o200) === 0) {
          log.readOnlyRefused++;
          throw errno('EPERM', 'rename', from);
        }
        if (await isOpenHere(to)) {
          log.openRefused++;
          throw errno('EPERM', 'rename', from);
        }
      }
      await NODE_FS.rename(from, to);
      pending.delete(to);
    },
    stat: (path) => NODE_FS.stat(path),
    chmod: (path, mode) => NODE_FS.chmod(path, mode),
    async rm(path: string, rmOptions: RemoveOptions): Promise<void> {
      const exists = await stat(path).then(() => true, () => false);
      if (exists && (rmOptions.maxRetries ?? 0) < transientRemoves) {
        log.removeRefused++;
        throw errno('EBUSY', 'rm', path);
      }
      await NODE_FS.rm(path, rmOptions);
      if (exists) log.removed++;
    },
    async sleep(ms: number): Promise<void> {
      log.sleptMs += ms;
    },
  };
}
