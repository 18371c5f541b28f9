/**
 * Copies `size` bytes from a positional source to a sink, hashing as it goes (through blob-hash.ts:
 * a large blob is read and hashed by a worker thread), with reads, hashing and writes overlapped
 * (a few fixed buffers: memory stays flat whatever the blob size). The sink gets each chunk with its offset in the blob and may be called again before its previous write
 * settled, so it must write positionally (OutputFile, TarWriter.data do). Fails with
 * LAYOUT_SIZE_MISMATCH / LAYOUT_DIGEST_MISMATCH after the last chunk; callers write to temporary
 * files only, so a mismatch never leaves bad output behind.
 *
 * Large blobs are copied through page-aligned buffers in chunks that end on page boundaries of the
 * destination (given `destinationOffset`), so an OutputFile sink can send them to the disk
 * directly; the first chunk is cut short when the destination does not start on a page boundary.
 */
import { parseDigest } from '../digest.js';
import { airsignError } from '../errors.js';
import { allocateAlignedBuffers, DIRECT_IO_ALIGNMENT } from '../fs/aligned-memory.js';
import type { RandomAccessFile } from '../tar/random-access.js';
import { openHashingReader, type HashingReader } from './blob-hash.js';

/** Chunk of large copies: big enough for the disk to stream, small enough for flat memory. */
export const COPY_CHUNK = 4 * 1024 * 1024;
/** Blobs below this are copied through ordinary buffers sized to the blob. */
const ALIGNED_MIN = 1024 * 1024;
const BUFFERS = 3;

export interface CopySource {
  file: RandomAccessFile;
  offset: number;
  size: number;
}

export interface CopyOptions {
  /** Where the sink puts the first byte, so chunks can be cut on page boundaries there. */
  destinationOffset?: number;
  /** Chunk size of large copies (a multiple of 4096; default COPY_CHUNK): concurrent copies share the memory budget. */
  chunkSize?: number;
  onProgress?: (bytes: number) => void;
  /** Stops the copy (rejecting with the signal's reason) at the next chunk once aborted. */
  signal?: AbortSignal;
}

/** Aligned buffer sets (by chunk size) are reused across copies: a layout with many large layers maps memory once. */
const idleAlignedSets = new Map<number, Buffer[][]>();

function acquireAlignedSet(chunkSize: number): Buffer[] {
  return idleAlignedSets.get(chunkSize)?.pop() ?? allocateAlignedBuffers(BUFFERS, chunkSize, { shared: true });
}

function releaseAlignedSet(buffers: Buffer[]): void {
  const size = buffers[0]!.length;
  idleAlignedSets.set(size, [...(idleAlignedSets.get(size) ?? []), buffers]);
}

export async function copyVerified(
  source: CopySource,
  expected: { digest: string; size: number },
  what: string,
  sink: (chunk: Uint8Array, offset: number) => Promise<void>,
  options: CopyOptions = {},
): Promise<void> {
  if (source.size !== expected.size) {
    throw airsignError('LAYOUT_SIZE_MISMATCH', `${what} has ${source.size} bytes, its descriptor says ${expected.size}`, {
      details: { digest: expected.digest, expected: expected.size, actual: source.size },
    });
  }
  const { algorithm } = parseDigest(expected.digest);
  const aligned = source.size >= ALIGNED_MIN;
  // A small blob is one chunk: one buffer of its size.
  const buffers = aligned ? acquireAlignedSet(options.chunkSize ?? COPY_CHUNK) : [Buffer.allocUnsafe(Math.max(1, source.size))];
  const slots = buffers.length;
  const chunk = buffers[0]!.length;
  const misalignment = aligned ? (options.destinationOffset ?? 0) % DIRECT_IO_ALIGNMENT : 0;
  const head = misalignment === 0 ? 0 : DIRECT_IO_ALIGNMENT - misalignment;
  const lengthAt = (done: number) => Math.min(done === 0 && head > 0 ? head : chunk, source.size - done);
  let reader: HashingReader | undefined;
  try {
    // Large blobs are read and hashed by a worker thread (blob-hash.ts) while this thread writes.
    reader = await openHashingReader(source.file, algorithm, source.size, buffers[0]!.buffer);
    const hashing = reader;
    const readAt = (i: number, done: number) => {
      const length = lengthAt(done);
      return hashing.read(buffers[i % slots]!, length, source.offset + done).then((n) => {
        if (n !== length) throw airsignError('TAR_TRUNCATED', `${what} is truncated`);
        return n;
      });
    };
    // Each chunk, once read and hashed, is handed to the sink while the next one is read. The
    // destination is a temporary file that is discarded on a mismatch. Up to BUFFERS - 1 writes in
    // flight, one read ahead; a buffer is read into again only once its write settled.
    const writes: Array<Promise<void>> = Array.from({ length: slots }, () => Promise.resolve());
    let failure: { error: unknown } | undefined; // the first write error, boxed
    const startRead = (index: number, at: number) =>
      writes[index % slots]!.then(() => {
        if (failure !== undefined) throw failure.error;
        return readAt(index, at);
      });
    let done = 0;
    let i = 0;
    let pendingRead: Promise<number> | undefined = source.size > 0 ? startRead(0, 0) : undefined;
    try {
      while (pendingRead) {
        const n = await pendingRead;
        options.signal?.throwIfAborted();
        const current = buffers[i % slots]!.subarray(0, n);
        const offset = done;
        done += n;
        writes[i % slots] = sink(current, offset).catch((error: unknown) => {
          failure ??= { error };
        });
        pendingRead = done < source.size ? startRead(i + 1, done) : undefined;
        options.onProgress?.(n);
        i++;
      }
      await Promise.all(writes);
      if (failure !== undefined) throw failure.error;
    } catch (error) {
      await pendingRead?.catch(() => {});
      await Promise.all(writes);
      throw failure === undefined ? error : failure.error;
    }
    const actual = await hashing.digest();
    reader = undefined;
    if (actual !== expected.digest) {
      throw airsignError('LAYOUT_DIGEST_MISMATCH', `content of ${what} does not match its digest (got ${actual})`, {
        details: { digest: expected.digest, expected: expected.digest, actual },
      });
    }
  } finally {
    await reader?.abandon();
    if (aligned) releaseAlignedSet(buffers);
  }
}
