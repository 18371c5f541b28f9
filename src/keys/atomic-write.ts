/** Writes a file via a temporary sibling and rename, so readers never see half a file. */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { inputError } from '../errors.js';

export interface AtomicWriteOptions {
  /** File mode for a new file (e.g. 0o600 for private keys). */
  mode?: number;
  /** Refuse to replace an existing file (default false). */
  exclusive?: boolean;
}

export async function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  if (options.exclusive === true && existsSync(path)) {
    throw inputError('OUTPUT_EXISTS', `${path} already exists (use --force to replace it)`, { details: { path } });
  }
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let handle;
  try {
    handle = await open(temp, 'wx', options.mode ?? 0o644);
  } catch (error) {
    throw inputError('OUTPUT_UNWRITABLE', `cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, { details: { path } });
  }
  try {
    await handle.writeFile(data);
    if (options.mode !== undefined) await handle.chmod(options.mode);
    await handle.sync();
    await handle.close();
    handle = undefined;
    if (options.exclusive === true) {
      if (existsSync(path)) throw inputError('OUTPUT_EXISTS', `${path} already exists (use --force to replace it)`, { details: { path } });
    }
    await rename(temp, path);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    if (error instanceof Error && 'kind' in error) throw error;
    throw inputError('OUTPUT_UNWRITABLE', `cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, { details: { path } });
  }
}
