/**
 * Positional reads over a file: the only way the tar indexer and the layout touch input bytes.
 * Reading at offsets (never a whole-file read) lets us skip layer data when indexing headers.
 * Files also offer blocking reads: a loop that hashes what it reads (verify) spends less CPU
 * reading in place into a small buffer than handing reads to the thread pool.
 */
import { read as readCallback, readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

export interface RandomAccessFile {
  readonly size: number;
  /** The open descriptor, when there is one: worker threads read through it (blob-hash.ts). */
  readonly fd?: number;
  /** Reads up to `length` bytes at `position` into `buffer[offset..]`; returns the count read (0 at EOF). */
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number>;
  /** The same read, blocking (files on disk have it; sources without it are read with `read`). */
  readSync?(buffer: Uint8Array, offset: number, length: number, position: number): number;
  close(): Promise<void>;
}

/** Opens a file for positional reads. */
export async function openRandomAccess(path: string): Promise<RandomAccessFile> {
  const handle = await open(path, 'r');
  try {
    const stat = await handle.stat();
    return fromHandle(handle, stat.size);
  } catch (error) {
    await handle.close();
    throw error;
  }
}

function fromHandle(handle: FileHandle, size: number): RandomAccessFile {
  return {
    size,
    fd: handle.fd,
    async read(buffer, offset, length, position) {
      const { bytesRead } = await handle.read(buffer, offset, length, position);
      return bytesRead;
    },
    readSync: (buffer, offset, length, position) => readSync(handle.fd, buffer, offset, length, position),
    close: () => handle.close(),
  };
}

/** Positional reads over an already open descriptor we do not own (e.g. stdin redirected from a file). */
export function fromDescriptor(fd: number, size: number): RandomAccessFile {
  return {
    size,
    fd,
    read(buffer, offset, length, position) {
      return new Promise((resolve, reject) => {
        readCallback(fd, buffer, offset, length, position, (error, bytesRead) => (error ? reject(error) : resolve(bytesRead)));
      });
    },
    readSync: (buffer, offset, length, position) => readSync(fd, buffer, offset, length, position),
    close: async () => {},
  };
}

/** Reads exactly `length` bytes at `position`; returns fewer only at end of file. */
export async function readFully(file: RandomAccessFile, buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
  let done = 0;
  while (done < length) {
    const n = await file.read(buffer, offset + done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

/** readFully with blocking reads when the file has them. */
export async function readFullyPreferSync(file: RandomAccessFile, buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
  if (file.readSync === undefined) return readFully(file, buffer, offset, length, position);
  let done = 0;
  while (done < length) {
    const n = file.readSync(buffer, offset + done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}
