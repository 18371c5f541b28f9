/**
 * Atomic output files: write a temporary sibling, fsync, rename over the target. Readers never see
 * half a file and a failure leaves nothing at the target path. Every command that writes a file
 * goes through here (the layout writer uses `temporarySiblingPath` for its streaming outputs).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { airsignError, isAirsignError } from '../errors.js';

export interface AtomicWriteOptions {
  /** File mode for the new file (default 0o644; e.g. 0o600 for private keys). */
  mode?: number;
  /** Refuse to replace an existing file (OUTPUT_EXISTS; default false). */
  exclusive?: boolean;
  /** Names the file in error messages (default: its path). */
  what?: string;
}

/** A hidden, unique temporary name next to `target` (same directory, so rename is atomic). */
export function temporarySiblingPath(target: string): string {
  return join(dirname(target), `.${basename(target)}.airsign-${randomBytes(6).toString('hex')}.tmp`);
}

/** Describes an fs failure in one line: "cannot write X: ENOSPC". */
export function outputWriteError(what: string, error: unknown) {
  const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  return airsignError('OUTPUT_WRITE_FAILED', `cannot write ${what}: ${reason}`, { cause: error, details: { what } });
}

export async function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const what = options.what ?? path;
  if (options.exclusive === true && existsSync(path)) {
    throw airsignError('OUTPUT_EXISTS', `${path} already exists (use --force to replace it)`, { details: { path } });
  }
  const temp = temporarySiblingPath(path);
  let handle;
  try {
    handle = await open(temp, 'wx', options.mode ?? 0o644);
  } catch (error) {
    throw outputWriteError(what, error);
  }
  try {
    await handle.writeFile(data);
    if (options.mode !== undefined) await handle.chmod(options.mode);
    await handle.sync();
    await handle.close();
    handle = undefined;
    if (options.exclusive === true && existsSync(path)) {
      throw airsignError('OUTPUT_EXISTS', `${path} already exists (use --force to replace it)`, { details: { path } });
    }
    await rename(temp, path);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    if (isAirsignError(error)) throw error;
    throw outputWriteError(what, error);
  }
}
