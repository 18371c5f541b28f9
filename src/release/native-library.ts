/**
 * A native library carried inside the single-file release, put on disk so it can be loaded.
 *
 * The file is named by its SHA-256 and kept in a per-user cache directory, so each version is
 * written once (not once per run: on Windows a loaded DLL cannot be deleted by the process that
 * loaded it, so a per-run file would be left behind every time). Its hash is checked right before
 * every load, so a file changed on disk is rewritten, never loaded. When a directory cannot be
 * used (not creatable, not ours, mounted noexec so the library cannot be mapped), the next one is
 * tried; when none works the error names each directory and why.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { airsignError } from '../errors.js';

export interface EmbeddedLibrary {
  /** File name stem, e.g. "koffi". */
  name: string;
  bytes: Uint8Array;
  /** Lower-case hex SHA-256 of bytes, fixed at build time. */
  sha256: string;
}

export interface PlacedLibrary<T> {
  path: string;
  exports: T;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Writes `library` into the first usable directory of `directories` (once; later runs find it)
 * and loads it with `load`, checking its hash before the load.
 */
export function placeAndLoad<T>(library: EmbeddedLibrary, directories: readonly string[], load: (path: string) => T): PlacedLibrary<T> {
  if (sha256Hex(library.bytes) !== library.sha256) {
    throw airsignError('NATIVE_LIBRARY_UNAVAILABLE', `the ${library.name} library inside this executable is damaged (SHA-256 mismatch); download the release file again and check it against SHA256SUMS`);
  }
  const reasons: string[] = [];
  for (const directory of directories) {
    const path = join(directory, `${library.name}-${library.sha256}.node`);
    try {
      ensurePrivateDirectory(directory);
      if (!hasHash(path, library.sha256)) writeAtomically(path, library.bytes);
      if (!hasHash(path, library.sha256)) throw new Error('the file written does not have the expected SHA-256');
      return { path, exports: load(path) };
    } catch (error) {
      reasons.push(`${directory}: ${describe(error)}`);
    }
  }
  throw airsignError(
    'NATIVE_LIBRARY_UNAVAILABLE',
    `PKCS#11 support could not be loaded: the ${library.name} native library could not be written and loaded in any directory (${reasons.join('; ')}); set AIRSIGN_CACHE_DIR to a directory you own on a file system that allows executable files`,
  );
}

/** Creates the directory (owner-only) or accepts an existing one only if it is ours and not writable by others. */
function ensurePrivateDirectory(directory: string): void {
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  const stat = lstatSync(directory);
  if (!stat.isDirectory()) throw new Error('not a directory');
  if (process.platform !== 'win32') {
    if (typeof process.getuid === 'function' && stat.uid !== process.getuid()) throw new Error('not owned by this user');
    if ((stat.mode & 0o022) !== 0) throw new Error('writable by other users');
  }
}

function hasHash(path: string, sha256: string): boolean {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    return false;
  }
  return sha256Hex(bytes) === sha256;
}

/** Writes beside the target and renames over it, so a concurrent run never sees a partial file. */
function writeAtomically(path: string, bytes: Uint8Array): void {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const fd = openSync(temporary, 'wx', 0o700);
    try {
      writeSync(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    chmodSync(temporary, 0o700);
    renameSync(temporary, path);
  } finally {
    rmSync(temporary, { force: true });
  }
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s*\n\s*/g, ' ');
}
