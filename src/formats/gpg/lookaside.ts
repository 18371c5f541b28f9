/**
 * The containers/image lookaside tree GPG signatures go to (there is no place for them inside an
 * OCI layout): `<base>/<repository path>@<alg>=<hex>/signature-N`, the path rule of c/image's
 * docker/registries_d.go (repository path = the reference without registry, tag or digest), and the
 * check that `--lookaside` is a place we can write, made before any key is opened; and the reading
 * side (`verify`): `signature-1`, `signature-2`, … up to the first number missing, as c/image reads them.
 */
import { constants as fsConstants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { readSmallFile } from '../../fs/read-small-file.js';
import { parseDigest } from '../../digest.js';
import { airsignError } from '../../errors.js';
import type { DockerReference } from '../docker-reference.js';

/** The directory the signature files of `digest` signed as `reference` go in. */
export function lookasideDirectory(base: string, reference: DockerReference, digest: string): string {
  const { algorithm, hex } = parseDigest(digest);
  const segments = reference.path.split('/');
  const last = segments.pop()!;
  return join(base, ...segments, `${last}@${algorithm}=${hex}`);
}

/**
 * `--lookaside` must be a directory we can write, or not exist yet under one (it is created like
 * c/image does, mkdir -p). Throws GPG_LOOKASIDE_UNUSABLE (input) naming the problem.
 */
export async function checkLookasideBase(base: string): Promise<void> {
  const unusable = (why: string, cause?: unknown) =>
    airsignError('GPG_LOOKASIDE_UNUSABLE', `options.lookaside ${base} ${why}`, { details: { option: 'lookaside', lookaside: base }, ...(cause === undefined ? {} : { cause }) });
  if (base === '') throw unusable('is empty');
  let at = base;
  for (;;) {
    const s = await stat(at).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      if (error.code === 'ENOTDIR') throw unusable(`is not a directory (a file is in its path)`, error);
      throw unusable(`cannot be read: ${error.code ?? error.message}`, error);
    });
    if (s !== undefined) {
      if (!s.isDirectory()) throw unusable(at === base ? 'is a file, not a directory' : `is under ${at}, which is a file`);
      try {
        await access(at, fsConstants.W_OK | fsConstants.X_OK);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw unusable(`is not writable${at === base ? '' : ` (${at})`}: ${code === 'EROFS' ? 'read-only file system' : code ?? 'permission denied'}`, error);
      }
      return;
    }
    const parent = dirname(at);
    if (parent === at) return;
    at = parent;
  }
}

/** A signature file is at most this large (c/image's docker lookaside limit is 4 MiB too). */
const MAX_SIGNATURE_BYTES = 4 * 1024 * 1024;
/** Reading stops here even without a gap: far more signatures than any image carries (notation's cap too). */
const MAX_SIGNATURE_FILES = 100;

/**
 * The signature files stored for `digest` signed as `reference`: `signature-1`, `signature-2`, …
 * until the first number that does not exist (none when the directory is missing). A file that
 * exists but cannot be read throws INPUT_NOT_FOUND naming it.
 */
export async function readLookasideSignatures(base: string, reference: DockerReference, digest: string): Promise<Array<{ path: string; bytes: Uint8Array }>> {
  const directory = lookasideDirectory(base, reference, digest);
  const found: Array<{ path: string; bytes: Uint8Array }> = [];
  for (let n = 1; n <= MAX_SIGNATURE_FILES; n++) {
    const path = join(directory, `signature-${n}`);
    try {
      found.push({ path, bytes: await readSmallFile(path, { maxBytes: MAX_SIGNATURE_BYTES, code: 'INPUT_NOT_FOUND', what: `GPG signature ${path}` }) });
    } catch (error) {
      const code = ((error as { cause?: NodeJS.ErrnoException }).cause)?.code;
      if (code === 'ENOENT' || code === 'ENOTDIR') break;
      throw error;
    }
  }
  return found;
}
