/**
 * Checks one stored blob against its digest and size as fast as one hash pass allows: positional
 * reads of 8 MiB into two reused buffers, the next read in flight while the current chunk is hashed
 * (no streams, no per-chunk allocation). What `verify` runs over every blob of a layout.
 */
import { createHash } from 'node:crypto';
import type { PlainDescriptor } from '../descriptor.js';
import { airsignError } from '../errors.js';
import { parseDigest } from '../digest.js';
import { readFully } from '../tar/random-access.js';
import type { Layout } from './open-layout.js';

const CHUNK = 8 * 1024 * 1024;

/** Throws LAYOUT_MISSING_BLOB, LAYOUT_SIZE_MISMATCH or LAYOUT_DIGEST_MISMATCH; returns the bytes checked. */
export async function checkBlob(layout: Layout, desc: PlainDescriptor): Promise<number> {
  const stored = layout.blobSize(desc.digest);
  if (stored === undefined) throw airsignError('LAYOUT_MISSING_BLOB', `blob ${desc.digest} is not in ${layout.source.path}`, { details: { digest: desc.digest } });
  if (stored !== desc.size) {
    throw airsignError('LAYOUT_SIZE_MISMATCH', `blob ${desc.digest} has ${stored} bytes, its descriptor says ${desc.size}`, { details: { expected: desc.size, actual: stored } });
  }
  const { algorithm } = parseDigest(desc.digest);
  const hash = createHash(algorithm);
  const range = await layout.blobRange(desc.digest);
  try {
    if (range.size !== desc.size) {
      throw airsignError('LAYOUT_SIZE_MISMATCH', `blob ${desc.digest} has ${range.size} bytes, its descriptor says ${desc.size}`, { details: { expected: desc.size, actual: range.size } });
    }
    const size = Math.min(CHUNK, Math.max(range.size, 1));
    const buffers = [Buffer.allocUnsafe(size), Buffer.allocUnsafe(size)];
    const readAt = (done: number, which: number): Promise<number> => {
      const length = Math.min(size, range.size - done);
      return readFully(range.file, buffers[which]!, 0, length, range.offset + done).then((n) => {
        if (n !== length) throw airsignError('TAR_TRUNCATED', `blob ${desc.digest} is truncated`);
        return n;
      });
    };
    let done = 0;
    let which = 0;
    let pending = range.size > 0 ? readAt(0, 0) : undefined;
    while (pending !== undefined) {
      const n = await pending;
      const next = done + n;
      pending = next < range.size ? readAt(next, 1 - which) : undefined;
      hash.update(buffers[which]!.subarray(0, n));
      done = next;
      which = 1 - which;
    }
  } finally {
    await range.release();
  }
  const actual = `${algorithm}:${hash.digest('hex')}`;
  if (actual !== desc.digest) {
    throw airsignError('LAYOUT_DIGEST_MISMATCH', `content of blob ${desc.digest} does not match its digest (got ${actual})`, { details: { expected: desc.digest, actual } });
  }
  return desc.size;
}
