/**
 * Names, tracks and sweeps the temporary files airsign writes next to its outputs, so that an
 * interrupted run leaves nothing behind:
 * - every temp file is named `.<target>.airsign-<host>-<pid>-<random>.tmp` (host: 8 hex digits of
 *   the host name's SHA-256), so a later run can tell whose it is;
 * - each live one is in a process-wide registry that the CLI empties synchronously when a signal
 *   arrives (the library never installs signal handlers itself);
 * - `sweepStaleTemps(dir)` removes temp files (and spool folders, `airsign-spool-<host>-<pid>-…`
 *   in the OS temp directory) in `dir` left by a process of this host that no longer runs (a
 *   SIGKILL, a power cut). Files of other hosts are never touched.
 */
import { createHash, randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { removePath } from './platform-fs.js';

/** 8 hex digits naming this host in temp and lock file names. */
export const HOST_TAG = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);

const TEMP_NAME = /^\..+\.airsign-([0-9a-f]{8})-(\d+)-[0-9a-f]+\.tmp$/;
const SPOOL_NAME = /^airsign-spool-([0-9a-f]{8})-(\d+)-[A-Za-z0-9]+$/;

/** The mkdtemp prefix of a private spool folder in the OS temp directory (`airsign-spool-<host>-<pid>-XXXXXX`). */
export function spoolFolderPrefix(): string {
  return `airsign-spool-${HOST_TAG}-${process.pid}-`;
}

/** A hidden, unique temporary name next to `target` (same directory, so rename is atomic). */
export function temporarySiblingPath(target: string): string {
  return join(dirname(target), `.${basename(target)}.airsign-${HOST_TAG}-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
}

/** Who made a temp file, from its name; undefined for a name that is not an airsign temp file. */
export function temporaryFileOwner(name: string): { host: string; pid: number } | undefined {
  const m = TEMP_NAME.exec(name) ?? SPOOL_NAME.exec(name);
  return m ? { host: m[1]!, pid: Number(m[2]) } : undefined;
}

/** Whether a process with this id runs on this host (EPERM: it runs, as another user). */
export function processIsAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const live = new Set<string>();

/** Registers a temp file (or lock file) to remove if the process is interrupted; returns the unregister function. */
export function trackTemporary(path: string): () => void {
  live.add(path);
  return () => {
    live.delete(path);
  };
}

/** Paths currently registered (tests). */
export function trackedTemporaries(): string[] {
  return [...live];
}

/**
 * Removes every registered temp file now, synchronously: for the CLI's signal handler, when the
 * process must end before the interrupted operation has unwound. Never throws.
 */
export function removeTrackedTemporariesSync(): void {
  for (const path of live) {
    try {
      rmSync(path, { force: true, recursive: true });
    } catch {
      /* best effort: the next run's sweep removes it */
    }
  }
  live.clear();
}

/**
 * Removes temp files in `directory` that a process of this host left and no longer owns. Returns
 * the names removed. A missing or unreadable directory is not an error.
 */
export async function sweepStaleTemps(directory: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(directory);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const owner = temporaryFileOwner(name);
    if (owner === undefined || owner.host !== HOST_TAG || processIsAlive(owner.pid)) continue;
    await removePath(join(directory, name), undefined, { recursive: true }).then(
      () => removed.push(name),
      () => {},
    );
  }
  return removed;
}
