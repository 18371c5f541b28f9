/**
 * Checks one stored blob against its digest and size as fast as one hash pass allows: blocking
 * positional reads of 1 MiB into one reused buffer, each hashed while it is still in the CPU's
 * cache (no streams, no per-chunk allocation, no thread-pool hand-off). What `verify` runs over
 * every blob of a layout. Measured on the 2 GiB sample, this costs the CPU time of `openssl dgst`;
 * 8 MiB reads double-buffered through the thread pool cost about 0.15 s more (cache misses and
 * hand-offs), for no gain in wall time on a busy machine. Between chunks the event loop gets a
 * turn every YIELD_BYTES, so signals and timers are not held up by a multi-GiB blob.
 */
import { createHash } from 'node:crypto';
import { setImmediate as turn } from 'node:timers/promises';
import type { PlainDescriptor } from '../descriptor.js';
import { airsignError } from '../errors.js';
import { parseDigest } from '../digest.js';
import { readFullyPreferSync } from '../tar/random-access.js';
import type { Layout } from './open-layout.js';

const CHUNK = 1024 * 1024;
const YIELD_BYTES = 64 * 1024 * 1024;

export async function checkBlob(layout: Layout, desc: PlainDescriptor): Promise<number> {
  const stored = layout.blobSize(desc.digest);
  if (stored === undefined) throw airsignError('LAYOUT_MISSING_BLOB', `blob ${desc.digest} is not in ${layout.source.path}`, { details: { digest: desc.digest } });
  if (stored !== desc.size) {
    throw airsignError('LAYOUT_SIZE_MISMATCH', `blob ${desc.digest} has ${stored} bytes, its descriptor says ${desc.size}`, { details: { digest: desc.digest, expected: desc.size, actual: stored } });
  }
  const { algorithm } = parseDigest(desc.digest);
  const hash = createHash(algorithm);
  const range = await layout.blobRange(desc.digest);
  try {
    if (range.size !== desc.size) {
      throw airsignError('LAYOUT_SIZE_MISMATCH', `blob ${desc.digest} has ${range.size} bytes, its descriptor says ${desc.size}`, { details: { digest: desc.digest, expected: desc.size, actual: range.size } });
    }
    const buffer = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(range.size, 1)));
    for (let done = 0; done < range.size;) {
      const length = Math.min(buffer.length, range.size - done);
      const n = await readFullyPreferSync(range.file, buffer, 0, length, range.offset + done);
      if (n !== length) throw airsignError('TAR_TRUNCATED', `blob ${desc.digest} is truncated`);
      hash.update(buffer.subarray(0, n));
      done += n;
      if (done % YIELD_BYTES === 0 && done < range.size) await turn();
    }
  } finally {
    await range.release();
  }
  const actual = `${algorithm}:${hash.digest('hex')}`;
  if (actual !== desc.digest) {
    throw airsignError('LAYOUT_DIGEST_MISMATCH', `content of blob ${desc.digest} does not match its digest (got ${actual})`, { details: { digest: desc.digest, expected: desc.digest, actual } });
  }
  return desc.size;
}
