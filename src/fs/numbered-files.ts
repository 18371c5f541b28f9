/**
 * Writes files named `<stem>-<N>` (N = the first free number from 1) into directories outside the
 * layout — containers/image's lookaside `signature-N` files — so that a reader never sees half a
 * file and two runs never take the same number: each file is written to a temporary sibling,
 * fsynced, then hard-linked to `<stem>-N`, which fails if that name exists (then N+1 is tried).
 * File systems without hard links (FAT/exFAT USB sticks, some network shares) get an exclusive
 * create of `<stem>-N` instead (still never two writers on one number; a reader may briefly see a
 * short file). What one call wrote can be taken back with {@link removeNumberedFiles}.
 */
import { link, mkdir, open, rmdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { temporarySiblingPath } from './atomic-write.js';
import { NODE_FS, removePath, type PlatformFs } from './platform-fs.js';
import { renameIntoPlace } from './rename-into-place.js';

export interface NumberedFile {
  directory: string;
  stem: string;
  bytes: Uint8Array;
}

/** What a call wrote: the files in order, and the directories it had to create (parents first). */
export interface WrittenNumberedFiles {
  files: string[];
  createdDirectories: string[];
}

const MAX_NUMBER = 100_000;

/** link() answers of file systems that have no hard links. */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV']);

export interface NumberedFilesOptions {
  /** File mode (default 0o644, as c/image writes lookaside files). */
  mode?: number;
  /** The hard-link call (tests stand in a file system without hard links). */
  link?: (existing: string, target: string) => Promise<void>;
  /** Whose rules the removals and the rename follow (default node:fs, this process's platform). */
  platformFs?: PlatformFs;
}

/** Writes every file or none: on a failure, what this call wrote is removed and the error rethrown. */
export async function writeNumberedFiles(files: readonly NumberedFile[], options: NumberedFilesOptions = {}): Promise<WrittenNumberedFiles> {
  const written: WrittenNumberedFiles = { files: [], createdDirectories: [] };
  const mode = options.mode ?? 0o644;
  const fs = options.platformFs ?? NODE_FS;
  try {
    for (const file of files) {
      await makeDirectories(file.directory, written.createdDirectories);
      written.files.push(await writeOne(file, mode, options.link ?? link, fs));
    }
    return written;
  } catch (error) {
    await removeNumberedFiles(written, fs);
    throw error;
  }
}

/** mkdir -p that remembers which directories it created. */
async function makeDirectories(directory: string, created: string[]): Promise<void> {
  const missing: string[] = [];
  let at = directory;
  for (;;) {
    const s = await stat(at).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (s !== undefined) break;
    missing.unshift(at);
    const parent = dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (const dir of missing) {
    try {
      await mkdir(dir, { mode: 0o755 });
      created.push(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

/** Writes `bytes` to a new file `path` ('wx': fails with EEXIST if it exists), fsynced; removed again on failure. */
async function writeNewFile(path: string, bytes: Uint8Array, mode: number, fs: PlatformFs): Promise<void> {
  const handle = await open(path, 'wx', mode);
  try {
    let done = 0;
    while (done < bytes.length) done += (await handle.write(bytes, done, bytes.length - done, done)).bytesWritten;
    await handle.chmod(mode);
    await handle.sync();
    await handle.close();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await removePath(path, fs).catch(() => undefined);
    throw error;
  }
}

function tooMany(file: NumberedFile): Error {
  return Object.assign(new Error(`${file.directory} already holds ${MAX_NUMBER} ${file.stem} files`), { code: 'EEXIST' });
}

async function writeOne(file: NumberedFile, mode: number, linkFile: (existing: string, target: string) => Promise<void>, fs: PlatformFs): Promise<string> {
  const temp = temporarySiblingPath(join(file.directory, file.stem));
  await writeNewFile(temp, file.bytes, mode, fs);
  let hardLinks = true;
  try {
    for (let n = 1; n <= MAX_NUMBER; n++) {
      const target = join(file.directory, `${file.stem}-${n}`);
      try {
        await linkFile(temp, target);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') continue;
        if (code !== undefined && NO_HARD_LINKS.has(code)) {
          hardLinks = false;
          break;
        }
        throw error;
      }
      await syncDirectory(file.directory, fs);
      return target;
    }
    if (hardLinks) throw tooMany(file);
  } finally {
    await removePath(temp, fs).catch(() => undefined);
  }
  // No hard links here: create `<stem>-N` exclusively and write it in place.
  for (let n = 1; n <= MAX_NUMBER; n++) {
    const target = join(file.directory, `${file.stem}-${n}`);
    try {
      await writeNewFile(target, file.bytes, mode, fs);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw error;
    }
    await syncDirectory(file.directory, fs);
    return target;
  }
  throw tooMany(file);
}

async function syncDirectory(directory: string, fs: PlatformFs): Promise<void> {
  if (fs.platform === 'win32') return; // a directory cannot be opened for fsync there
  const handle = await open(directory, 'r').catch(() => undefined);
  if (handle === undefined) return;
  await handle.sync().catch(() => undefined);
  await handle.close();
}

/**
 * Removes what writeNumberedFiles wrote. A reader stops at the first missing number, so when a
 * removed `<stem>-N` has higher numbers after it (another run's), the highest one is moved into
 * the gap so none becomes invisible. Directories this call created are removed when empty.
 */
export async function removeNumberedFiles(written: WrittenNumberedFiles, fs: PlatformFs = NODE_FS): Promise<void> {
  for (const path of [...written.files].reverse()) {
    await removePath(path, fs).catch(() => undefined);
    const match = /^(.*)-(\d+)$/.exec(path);
    if (match === null) continue;
    const [, prefix, number] = match;
    let last = Number(number);
    while (await stat(`${prefix}-${last + 1}`).then(() => true, () => false)) last++;
    if (last === Number(number)) continue;
    // link, not rename: if another run has meanwhile taken the gap, its file stays. Without hard
    // links, rename while the gap is still free.
    const from = `${prefix}-${last}`;
    const linked = await link(from, path).then(() => true, (error: NodeJS.ErrnoException) => error.code);
    if (linked === true) await removePath(from, fs).catch(() => undefined);
    else if (typeof linked === 'string' && NO_HARD_LINKS.has(linked) && !(await stat(path).then(() => true, () => false))) {
      await renameIntoPlace(from, path, fs).catch(() => undefined);
    }
  }
  for (const dir of [...written.createdDirectories].reverse()) await rmdir(dir).catch(() => undefined);
}
