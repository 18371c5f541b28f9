/**
 * Checks an output path before anything is written, so a refused output costs nothing and the
 * message names the user's path (never a temp name): its directory must exist, and an existing
 * output must be a regular file — never a symbolic link (replacing it would replace the link, not
 * what it points to; `/proc/self/fd/1` would become a regular file) nor a device or directory.
 */
import { lstat, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { airsignError } from '../errors.js';
import { fsErrorText } from './fs-error-text.js';

export async function checkOutputTarget(path: string, what = path): Promise<void> {
  const existing = await lstat(path).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? undefined : Promise.reject(error))).catch((error: unknown) => {
    throw airsignError('OUTPUT_WRITE_FAILED', `cannot write ${what}: ${fsErrorText(error)}`, { cause: error, details: { path } });
  });
  if (existing === undefined) {
    const directory = dirname(resolve(path));
    const parent = await stat(directory).catch(() => undefined);
    if (parent === undefined) throw airsignError('OUTPUT_WRITE_FAILED', `cannot write ${what}: the directory ${dirname(path)} does not exist`, { details: { path } });
    if (!parent.isDirectory()) throw airsignError('OUTPUT_WRITE_FAILED', `cannot write ${what}: ${dirname(path)} is not a directory`, { details: { path } });
    return;
  }
  if (existing.isDirectory()) throw airsignError('OUTPUT_IS_DIRECTORY', `output ${what} is a directory`, { details: { path } });
  if (existing.isSymbolicLink()) {
    throw airsignError('OUTPUT_NOT_A_FILE', `output ${what} is a symbolic link; name the file itself (airsign does not replace links)`, { details: { path } });
  }
  if (!existing.isFile()) throw airsignError('OUTPUT_NOT_A_FILE', `output ${what} is not a regular file`, { details: { path } });
}
