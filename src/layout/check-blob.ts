/**
 * Checks one stored blob against its digest and size: what `verify` runs over every blob of a
 * layout. The bytes are read and hashed by blob-hash.ts (a large blob in a worker thread, so two
 * blobs can be checked at once on two cores).
 */
import type { PlainDescriptor } from '../descriptor.js';
import { airsignError, isAirsignError } from '../errors.js';
import { parseDigest } from '../digest.js';
import { forEachConcurrently } from '../concurrency.js';
import { hashFileRange } from './blob-hash.js';
import type { Layout } from './open-layout.js';

export async function checkBlob(layout: Layout, desc: PlainDescriptor): Promise<number> {
  const stored = layout.blobSize(desc.digest);
  if (stored === undefined) throw airsignError('LAYOUT_MISSING_BLOB', `blob ${desc.digest} is not in ${layout.source.path}`, { details: { digest: desc.digest } });
  if (stored !== desc.size) {
    throw airsignError('LAYOUT_SIZE_MISMATCH', `blob ${desc.digest} has ${stored} bytes, its descriptor says ${desc.size}`, { details: { digest: desc.digest, expected: desc.size, actual: stored } });
  }
  const { algorithm } = parseDigest(desc.digest);
  const range = await layout.blobRange(desc.digest);
  let actual: string;
  try {
    if (range.size !== desc.size) {
      throw airsignError('LAYOUT_SIZE_MISMATCH', `blob ${desc.digest} has ${range.size} bytes, its descriptor says ${desc.size}`, { details: { digest: desc.digest, expected: desc.size, actual: range.size } });
    }
    const { digest, bytes } = await hashFileRange(range.file, range.offset, range.size, algorithm);
    if (bytes !== range.size) throw airsignError('TAR_TRUNCATED', `blob ${desc.digest} is truncated`);
    actual = digest;
  } finally {
    await range.release();
  }
  if (actual !== desc.digest) {
    throw airsignError('LAYOUT_DIGEST_MISMATCH', `content of blob ${desc.digest} does not match its digest (got ${actual})`, { details: { digest: desc.digest, expected: desc.digest, actual } });
  }
  return desc.size;
}

/** Blobs checked at once by checkEachBlob: two hashing threads keep two cores busy. */
const CHECK_CONCURRENCY = 2;

/**
 * Checks every blob of `descs`, two at a time; returns, in the order given, the size checked or the
 * (airsign) error that says why the blob failed. Other errors (a bug, not the blob) are thrown.
 */
export async function checkEachBlob(layout: Layout, descs: readonly PlainDescriptor[]): Promise<Array<{ bytes: number } | { error: Error }>> {
  const outcomes: Array<{ bytes: number } | { error: Error }> = [];
  const indexed = descs.map((desc, i) => ({ desc, i }));
  await forEachConcurrently(indexed, CHECK_CONCURRENCY, async ({ desc, i }) => {
    try {
      outcomes[i] = { bytes: await checkBlob(layout, desc) };
    } catch (error) {
      if (!isAirsignError(error)) throw error;
      outcomes[i] = { error };
    }
  });
  return outcomes;
}
