/**
 * The one helper through which blob data read from files is hashed: verify's blob checks, the
 * verified copies of strip, repack and sign (blob-copy.ts), strip's check of a layer file already
 * in place, and Layout.openBlobStream. It counts every byte it hashes (bytesHashed), so a test can
 * tell that each command hashes each blob byte once and no second pass creeps in.
 *
 * A large blob in a file is read and hashed by a worker thread (hash-workers.ts), off the main
 * thread, which meanwhile writes what was read, or hashes or writes another blob; small blobs
 * (manifests, configs) and sources without a descriptor are hashed on the calling thread.
 */
import { createHash, type Hash } from 'node:crypto';
import { setImmediate as turn } from 'node:timers/promises';
import type { DigestAlgorithm } from '../digest.js';
import { readFully, readFullyPreferSync, type RandomAccessFile } from '../tar/random-access.js';
import { hashRangeInWorker, startWorkerStream, type WorkerStream } from './hash-workers.js';

/** Blobs of this size and up are read and hashed in a worker thread. */
export const OFFLOAD_MIN = 1024 * 1024;
const CHUNK = 1024 * 1024;
/** On the calling thread, the event loop gets a turn every YIELD_BYTES (signals, timers). */
const YIELD_BYTES = 64 * 1024 * 1024;

let hashed = 0;

/** Bytes of blob data this process has hashed through this module so far (tests compare before and after a command). */
export function bytesHashed(): number {
  return hashed;
}

/** Hashing on the calling thread of bytes already in memory that are part of a blob (a stream's chunks). */
export class BlobHasher {
  private readonly hash: Hash;

  constructor(readonly algorithm: DigestAlgorithm) {
    this.hash = createHash(algorithm);
  }

  update(chunk: Uint8Array): void {
    hashed += chunk.length;
    this.hash.update(chunk);
  }

  /** `<alg>:<hex>`; call once. */
  digest(): string {
    return `${this.algorithm}:${this.hash.digest('hex')}`;
  }
}

/**
 * Reads and hashes `size` bytes at `offset` of `file`. Returns the digest (`<alg>:<hex>`) and how
 * many bytes there were (fewer than `size` only when the file ends first: the caller reports that).
 */
export async function hashFileRange(file: RandomAccessFile, offset: number, size: number, algorithm: DigestAlgorithm): Promise<{ digest: string; bytes: number }> {
  if (file.fd !== undefined && size >= OFFLOAD_MIN) {
    const r = await hashRangeInWorker(file.fd, offset, size, algorithm);
    hashed += r.bytes;
    return { digest: `${algorithm}:${r.hex}`, bytes: r.bytes };
  }
  const hasher = new BlobHasher(algorithm);
  const buffer = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(size, 1)));
  let done = 0;
  while (done < size) {
    const length = Math.min(buffer.length, size - done);
    const n = await readFullyPreferSync(file, buffer, 0, length, offset + done);
    hasher.update(buffer.subarray(0, n));
    done += n;
    if (n < length) break;
    if (done % YIELD_BYTES === 0 && done < size) await turn();
  }
  return { digest: hasher.digest(), bytes: done };
}

/**
 * Reads one blob chunk by chunk into the caller's buffers, hashing every byte in the order read.
 * Reads must not overlap (start the next once the previous one settled). When the buffers live in
 * shared memory and the file has a descriptor, a worker reads and hashes; the buffer is filled when
 * `read` settles either way.
 */
export interface HashingReader {
  /** Reads `length` bytes at `position` into `buffer` (from its start); returns the count read (less only at end of file). */
  read(buffer: Buffer, length: number, position: number): Promise<number>;
  /** `<alg>:<hex>` of everything read; call once, after the last read. */
  digest(): Promise<string>;
  /** Gives up (after a failure): call once every read settled. */
  abandon(): Promise<void>;
}

export async function openHashingReader(file: RandomAccessFile, algorithm: DigestAlgorithm, size: number, memory: ArrayBufferLike): Promise<HashingReader> {
  if (file.fd !== undefined && size >= OFFLOAD_MIN && memory instanceof SharedArrayBuffer) {
    return workerReader(await startWorkerStream(file.fd, algorithm, memory), algorithm, memory);
  }
  const hasher = new BlobHasher(algorithm);
  return {
    read: async (buffer, length, position) => {
      const n = await readFully(file, buffer, 0, length, position);
      hasher.update(buffer.subarray(0, n));
      return n;
    },
    digest: async () => hasher.digest(),
    abandon: async () => {},
  };
}

function workerReader(stream: WorkerStream, algorithm: DigestAlgorithm, memory: SharedArrayBuffer): HashingReader {
  return {
    read: async (buffer, length, position) => {
      if (buffer.buffer !== memory || length > buffer.length) throw new RangeError('a worker reads only into the shared memory it was given');
      const n = await stream.fill(buffer.byteOffset, length, position);
      hashed += n;
      return n;
    },
    digest: async () => `${algorithm}:${await stream.end(true)}`,
    abandon: async () => {
      await stream.end(false).catch(() => {});
    },
  };
}
