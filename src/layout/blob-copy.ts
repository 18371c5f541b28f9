/**
 * Copies `size` bytes from a positional source to a sink, hashing as it goes, with reads, hashing
 * and writes overlapped (three 1 MiB buffers: memory stays flat whatever the blob size). Fails
 * with LAYOUT_SIZE_MISMATCH / LAYOUT_DIGEST_MISMATCH after the last chunk; callers write to
 * temporary files only, so a mismatch never leaves bad output behind.
 */
import { createHash } from 'node:crypto';
import { parseDigest } from '../digest.js';
import { inputError } from '../errors.js';
import { readFully, type RandomAccessFile } from '../tar/random-access.js';

const CHUNK = 1024 * 1024;

export interface CopySource {
  file: RandomAccessFile;
  offset: number;
  size: number;
}

export async function copyVerified(
  source: CopySource,
  expected: { digest: string; size: number },
  what: string,
  sink: (chunk: Uint8Array) => Promise<void>,
  onProgress?: (bytes: number) => void,
): Promise<void> {
  if (source.size !== expected.size) {
    throw inputError('LAYOUT_SIZE_MISMATCH', `${what} has ${source.size} bytes, its descriptor says ${expected.size}`, {
      details: { expected: expected.size, actual: source.size },
    });
  }
  const { algorithm } = parseDigest(expected.digest);
  const hash = createHash(algorithm);
  const buffers = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
  const readAt = (i: number, done: number) => {
    const length = Math.min(CHUNK, source.size - done);
    return readFully(source.file, buffers[i % 3]!, 0, length, source.offset + done).then((n) => {
      if (n !== length) throw inputError('TAR_TRUNCATED', `${what} is truncated`);
      return n;
    });
  };
  let done = 0;
  let i = 0;
  let pendingRead: Promise<number> | undefined = source.size > 0 ? readAt(0, 0) : undefined;
  let pendingWrite: Promise<void> = Promise.resolve();
  try {
    while (pendingRead) {
      const n = await pendingRead;
      const chunk = buffers[i % 3]!.subarray(0, n);
      done += n;
      pendingRead = done < source.size ? readAt(i + 1, done) : undefined;
      hash.update(chunk);
      await pendingWrite;
      pendingWrite = sink(chunk);
      onProgress?.(n);
      i++;
    }
    await pendingWrite;
  } catch (error) {
    await pendingRead?.catch(() => {});
    await pendingWrite.catch(() => {});
    throw error;
  }
  const actual = `${algorithm}:${hash.digest('hex')}`;
  if (actual !== expected.digest) {
    throw inputError('LAYOUT_DIGEST_MISMATCH', `content of ${what} does not match its digest (got ${actual})`, {
      details: { expected: expected.digest, actual },
    });
  }
}
