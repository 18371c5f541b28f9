/**
 * Indexes a tar file by reading headers only: each entry's data is skipped by seeking, so a
 * multi-GiB layer costs one 512-byte read. The rules (Go's archive/tar as oras-go uses it) live in
 * tar-scanner; this file only feeds it blocks from a seekable file and checks for truncation.
 */
import { airsignError } from '../errors.js';
import { BLOCK } from './tar-header.js';
import { TarScanner, roundUp, type TarEntry } from './tar-scanner.js';
import { readFully, type RandomAccessFile } from './random-access.js';

export type { TarEntry } from './tar-scanner.js';

export interface TarIndex {
  /** Regular files and directories by normalised path, in archive order. */
  entries: Map<string, TarEntry>;
  /** Offset just after the end-of-archive marker. */
  end: number;
}

export async function indexTar(file: RandomAccessFile, what = 'tar'): Promise<TarIndex> {
  const scanner = new TarScanner(what);
  const block = new Uint8Array(BLOCK);
  let position = 0;
  const truncated = () => airsignError('TAR_TRUNCATED', `${what} is truncated (ends inside an entry or has no end-of-archive marker)`);

  for (;;) {
    const n = await readFully(file, block, 0, BLOCK, position);
    if (position === 0 && n === 0) throw airsignError('TAR_EMPTY', `${what} is empty`);
    if (position === 0 && n < BLOCK) throw airsignError('TAR_NOT_A_TAR', `${what} is not a tar file (${n} bytes, shorter than one tar header)`);
    if (n < BLOCK) throw truncated();
    const step = scanner.header(block, position);
    if (step.kind === 'zero') {
      const m = await readFully(file, block, 0, BLOCK, position + BLOCK);
      if (m !== 0 && m < BLOCK) throw truncated();
      scanner.afterZero(m === 0 ? null : block, position + BLOCK);
      return { entries: scanner.entries, end: position + BLOCK + (m === 0 ? 0 : BLOCK) };
    }
    if (position + BLOCK + step.size > file.size) throw truncated();
    if (step.kind === 'meta') {
      const data = new Uint8Array(step.size);
      if ((await readFully(file, data, 0, step.size, position + BLOCK)) !== step.size) throw truncated();
      scanner.meta(data);
    }
    position += BLOCK + roundUp(step.size);
  }
}
