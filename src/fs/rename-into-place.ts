/**
 * The one rename that puts a finished temp file in place over its final name. Every atomic write
 * (small files, layer files, tars) goes through it, so platform rules for replacing a file live in
 * one place. On Windows: rename refuses to replace a read-only file (blobs are written 0o444, which
 * sets the read-only attribute), so that attribute is cleared first (and put back if the rename
 * still fails); and antivirus, the search indexer and backup agents briefly open new files, so
 * EPERM/EACCES/EBUSY are retried with backoff for about 8 s. Elsewhere it is a plain rename.
 * The platform, the fs calls and the sleep are parameters so tests can run the Windows rules here.
 */
import { chmod, rename, stat } from 'node:fs/promises';

/** The fs calls renameIntoPlace makes (node:fs/promises by default). */
export interface RenameFs {
  rename(from: string, to: string): Promise<void>;
  stat(path: string): Promise<{ mode: number }>;
  chmod(path: string, mode: number): Promise<void>;
}

export interface RenameOptions {
  /** Whose rename rules apply (default: this process's platform). */
  platform?: NodeJS.Platform;
  fs?: RenameFs;
  sleep?: (ms: number) => Promise<void>;
}

const NODE_FS: RenameFs = { rename, stat, chmod };
const TRANSIENT = new Set(['EPERM', 'EACCES', 'EBUSY']);
/** Waits between attempts on Windows: 50 ms doubling to 1 s, about 8 s in all. */
export const WIN32_RENAME_DELAYS_MS: readonly number[] = [50, 100, 200, 400, 800, 1000, 1000, 1000, 1000, 1000, 1000, 1000];

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function renameIntoPlace(temp: string, target: string, options: RenameOptions = {}): Promise<void> {
  const fs = options.fs ?? NODE_FS;
  if ((options.platform ?? process.platform) !== 'win32') {
    await fs.rename(temp, target);
    return;
  }
  const sleep = options.sleep ?? wait;
  const readOnlyMode = await fs.stat(target).then((s) => ((s.mode & 0o200) === 0 ? s.mode & 0o7777 : undefined), () => undefined);
  if (readOnlyMode !== undefined) await fs.chmod(target, readOnlyMode | 0o200);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await fs.rename(temp, target);
        return;
      } catch (error) {
        const delay = WIN32_RENAME_DELAYS_MS[attempt];
        if (!TRANSIENT.has((error as NodeJS.ErrnoException).code ?? '') || delay === undefined) throw error;
        await sleep(delay);
      }
    }
  } catch (error) {
    if (readOnlyMode !== undefined) await fs.chmod(target, readOnlyMode).catch(() => undefined);
    throw error;
  }
}
