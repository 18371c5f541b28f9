/**
 * An exclusive advisory lock on a file or directory that airsign is about to replace, held for the
 * whole read-change-replace of `sign`, `strip` and `repack`, so two runs on one tar never lose each
 * other's work. Plain files only (no native addon, works on Windows): the lock for `dir/x.tar` is
 * `dir/.x.tar.airsign.lock`, created with O_EXCL and holding `{pid, host, token}` as JSON. A lock
 * whose process no longer runs on this host is stale and is broken; one from another host is
 * respected (we cannot tell whether it runs). A second run waits for the lock (bounded), then fails
 * with LAYOUT_LOCKED naming the holder.
 */
import { randomBytes } from 'node:crypto';
import { link, open, readFile, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { airsignError } from '../errors.js';
import { fsErrorText } from './fs-error-text.js';
import { NODE_FS, removePath, type PlatformFs } from './platform-fs.js';
import { renameIntoPlace } from './rename-into-place.js';
import { HOST_TAG, processIsAlive, temporarySiblingPath, trackTemporary } from './temp-files.js';

/** How long a second run waits for the lock by default. */
const DEFAULT_LOCK_WAIT_MS = 5 * 60 * 1000;
/** A lock file with no readable owner (its writer died between create and write) is stale after this. */
const UNREADABLE_STALE_MS = 30 * 1000;

export interface LockOptions {
  /** Milliseconds to wait for a lock another process holds (default 5 minutes; 0: fail at once). */
  waitMs?: number;
  /** Called once when the lock is busy and we start waiting. */
  onWait?: (holder: LockHolder) => void;
  signal?: AbortSignal;
  /**
   * Go on without the lock when its folder cannot be written (read-only media, no permission): for
   * paths only read, such as a strip directory on a DVD that `repack` reads from.
   */
  optional?: boolean;
  /** The rename/remove calls and whose platform rules apply (default: node:fs, this process's platform). */
  platformFs?: PlatformFs;
}

/** Folders where a lock file cannot be created: nobody else can write there either. */
const UNWRITABLE = new Set(['EROFS', 'EACCES', 'EPERM']);

export interface LockHolder {
  pid: number;
  host: string;
  hostname: string;
  token: string;
}

export interface FileLock {
  readonly path: string;
  release(): Promise<void>;
}

/** The lock file guarding `path` (a file or a directory). */
export function lockPathFor(path: string): string {
  const absolute = resolve(path);
  return join(dirname(absolute), `.${basename(absolute)}.airsign.lock`);
}

async function readHolder(lockPath: string): Promise<LockHolder | 'missing' | 'unreadable'> {
  let text: string;
  try {
    text = await readFile(lockPath, 'utf8');
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable';
  }
  try {
    const value = JSON.parse(text) as Partial<LockHolder>;
    if (typeof value.pid === 'number' && typeof value.host === 'string' && typeof value.token === 'string') {
      return { pid: value.pid, host: value.host, hostname: String(value.hostname ?? value.host), token: value.token };
    }
  } catch {
    /* fall through */
  }
  return 'unreadable';
}

async function isStale(lockPath: string, holder: LockHolder | 'unreadable'): Promise<boolean> {
  if (holder === 'unreadable') {
    const info = await stat(lockPath).catch(() => undefined);
    return info !== undefined && Date.now() - info.mtimeMs > UNREADABLE_STALE_MS;
  }
  return holder.host === HOST_TAG && !processIsAlive(holder.pid);
}

/**
 * Breaks a stale lock without removing a fresh one another process took meanwhile: move it aside
 * (atomic), and remove it only if it is still the stale one; otherwise put it back.
 */
async function breakStale(lockPath: string, stale: LockHolder | 'unreadable', fs: PlatformFs): Promise<void> {
  const aside = temporarySiblingPath(lockPath);
  try {
    await renameIntoPlace(lockPath, aside, fs);
  } catch {
    return;
  }
  const moved = await readHolder(aside);
  const same = stale === 'unreadable' ? moved === 'unreadable' : typeof moved === 'object' && moved.token === stale.token;
  if (!same) await link(aside, lockPath).catch(() => {});
  await removePath(aside, fs);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolvePromise();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Takes the lock guarding `path`; waits while another live process holds it. */
export async function acquireLock(path: string, options: LockOptions = {}): Promise<FileLock> {
  const lockPath = lockPathFor(path);
  const fs = options.platformFs ?? NODE_FS;
  const me: LockHolder = { pid: process.pid, host: HOST_TAG, hostname: hostname(), token: randomBytes(8).toString('hex') };
  const deadline = Date.now() + (options.waitMs ?? DEFAULT_LOCK_WAIT_MS);
  let waited = false;
  for (let attempt = 0; ; attempt++) {
    options.signal?.throwIfAborted();
    let created = false;
    try {
      const handle = await open(lockPath, 'wx', 0o644);
      created = true;
      const untrack = trackTemporary(lockPath);
      try {
        await handle.writeFile(JSON.stringify(me));
      } finally {
        await handle.close();
      }
      return {
        path: lockPath,
        release: async () => {
          const holder = await readHolder(lockPath);
          if (typeof holder === 'object' && holder.token === me.token) await removePath(lockPath, fs);
          untrack();
        },
      };
    } catch (error) {
      if (created) {
        // Created but not written (a full disk): remove it, and say so in words (exit 2, not 70).
        await removePath(lockPath, fs).catch(() => {});
        throw airsignError('OUTPUT_WRITE_FAILED', `cannot lock ${path}: cannot write ${lockPath}: ${fsErrorText(error)}`, { cause: error, details: { path, lockPath } });
      }
      const code = (error as NodeJS.ErrnoException).code ?? '';
      // An optional lock on a path whose folder does not exist guards nothing (a reader fails on the
      // missing path itself, with its own message).
      if (options.optional === true && (UNWRITABLE.has(code) || code === 'ENOENT')) return { path: lockPath, release: async () => {} };
      if (code !== 'EEXIST') {
        throw airsignError('OUTPUT_WRITE_FAILED', `cannot lock ${path}: cannot create ${lockPath}: ${fsErrorText(error)}`, { cause: error, details: { path, lockPath } });
      }
    }
    const holder = await readHolder(lockPath);
    if (holder === 'missing') continue;
    if (await isStale(lockPath, holder)) {
      await breakStale(lockPath, holder, fs);
      continue;
    }
    if (Date.now() >= deadline) {
      const who = typeof holder === 'object' ? `process ${holder.pid} on ${holder.hostname}` : 'another process';
      throw airsignError('LAYOUT_LOCKED', `${path} is being changed by ${who} (lock file ${lockPath}); try again when it has finished, or remove the lock file if that process is gone`, {
        details: { path, lockPath, ...(typeof holder === 'object' ? { pid: holder.pid, hostname: holder.hostname } : {}) },
      });
    }
    if (!waited && typeof holder === 'object') options.onWait?.(holder);
    waited = true;
    const backoff = Math.min(500, 25 * 2 ** Math.min(attempt, 5));
    await sleep(Math.min(backoff + Math.random() * backoff, Math.max(1, deadline - Date.now())), options.signal);
  }
}

/**
 * Takes the locks of several paths (in one fixed order, so two runs never deadlock); releases all
 * on failure. A path given as `{ path, optional: true }` is locked only where its folder is writable.
 */
export async function acquireLocks(paths: ReadonlyArray<string | { path: string; optional: boolean }>, options: LockOptions = {}): Promise<FileLock> {
  const byLock = new Map<string, { path: string; optional: boolean }>();
  for (const entry of paths) {
    const item = typeof entry === 'string' ? { path: entry, optional: false } : entry;
    const key = lockPathFor(item.path);
    const known = byLock.get(key);
    byLock.set(key, { path: item.path, optional: (known?.optional ?? true) && item.optional });
  }
  const unique = [...byLock.keys()].sort();
  const held: FileLock[] = [];
  const releaseAll = async () => {
    for (const lock of held.reverse()) await lock.release().catch(() => {});
  };
  try {
    for (const lockPath of unique) {
      const item = byLock.get(lockPath)!;
      held.push(await acquireLock(item.path, { ...options, optional: item.optional }));
    }
  } catch (error) {
    await releaseAll();
    throw error;
  }
  return { path: unique.join(', '), release: releaseAll };
}
