/**
 * The containers/image lookaside tree GPG signatures go to (there is no place for them inside an
 * OCI layout): `<base>/<repository path>@<alg>=<hex>/signature-N`, the path rule of c/image's
 * docker/registries_d.go (repository path = the reference without registry, tag or digest), and the
 * check that `--lookaside` is a place we can write, made before any key is opened.
 */
import { constants as fsConstants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
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
    airsignError('GPG_LOOKASIDE_UNUSABLE', `--lookaside ${base} ${why}`, { details: { lookaside: base }, ...(cause === undefined ? {} : { cause }) });
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
