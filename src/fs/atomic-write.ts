/**
 * Atomic output files: write a temporary sibling, fsync, rename over the target. Readers never see
 * half a file and a failure (disk full, an interrupt) leaves nothing at the target path and no
 * temp file. Every small file a command writes (records, keys, certificates, index.json of a
 * directory layout) goes through here; the layout writer uses the same temp names for its
 * streaming outputs. Temp files a killed run (SIGKILL, power cut) left beside the target are
 * swept first, so they do not pile up in a strip directory or next to a record.
 */
import { existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { airsignError, isAirsignError } from '../errors.js';
import { fsErrorText } from './fs-error-text.js';
import { checkOutputTarget } from './output-target.js';
import { removePath, type PlatformFs } from './platform-fs.js';
import { renameIntoPlace } from './rename-into-place.js';
import { sweepStaleTemps, temporarySiblingPath, trackTemporary } from './temp-files.js';

export { temporarySiblingPath } from './temp-files.js';

export interface AtomicWriteOptions {
  /** File mode for the new file (default 0o644; e.g. 0o600 for private keys). */
  mode?: number;
  /** Refuse to replace an existing file (OUTPUT_EXISTS; default false). */
  exclusive?: boolean;
  /** Names the file in error messages (default: its path). */
  what?: string;
  /** Called after the temp file is complete and durable, just before the rename (may throw to cancel). */
  beforeRename?: () => Promise<void>;
  /** The rename/remove calls and whose platform rules apply (default: node:fs, this process's platform). */
  platformFs?: PlatformFs;
  /**
   * Remove temp files that ended processes of this host left in the target's folder (default
   * true; false where the caller has swept that folder already, e.g. once for many blobs).
   */
  sweepStale?: boolean;
}

/** Describes an fs failure in one line: "cannot write X: no space left on device". */
export function outputWriteError(what: string, error: unknown) {
  return airsignError('OUTPUT_WRITE_FAILED', `cannot write ${what}: ${fsErrorText(error)}`, { cause: error, details: { what } });
}

export async function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const what = options.what ?? path;
  await checkOutputTarget(path, what);
  if (options.exclusive === true && existsSync(path)) {
    throw airsignError('OUTPUT_EXISTS', `${path} already exists (use options.force to replace it)`, { details: { path, option: 'force' } });
  }
  if (options.sweepStale !== false) await sweepStaleTemps(dirname(path));
  const temp = temporarySiblingPath(path);
  let handle;
  try {
    handle = await open(temp, 'wx', options.mode ?? 0o644);
  } catch (error) {
    throw outputWriteError(what, error);
  }
  const untrack = trackTemporary(temp);
  try {
    await handle.writeFile(data);
    if (options.mode !== undefined) await handle.chmod(options.mode);
    await handle.sync();
    await handle.close();
    handle = undefined;
    if (options.exclusive === true && existsSync(path)) {
      throw airsignError('OUTPUT_EXISTS', `${path} already exists (use options.force to replace it)`, { details: { path, option: 'force' } });
    }
    await options.beforeRename?.();
    await renameIntoPlace(temp, path, options.platformFs);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    // rm, not unlink: on Windows a 0o444 temp is read-only, which unlink refuses.
    await removePath(temp, options.platformFs).catch(() => undefined);
    if (isAirsignError(error) || (error as Error)?.name === 'AbortError') throw error;
    throw outputWriteError(what, error);
  } finally {
    untrack();
  }
}
