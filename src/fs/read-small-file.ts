/**
 * Reads a small file (a record, a PEM, a JSON document) with a size limit and only from a regular
 * file: a path that is a FIFO, a device (`/dev/zero`) or a huge file fails cleanly instead of
 * growing memory without bound. Symbolic links to regular files are followed.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { airsignError, type ErrorCode } from '../errors.js';
import { fsErrorText } from './fs-error-text.js';

export interface ReadSmallFileOptions {
  /** Refuse a file larger than this many bytes. */
  maxBytes: number;
  /** The error code for every failure (missing, not a regular file, too large, unreadable). */
  code: ErrorCode;
  /** Names the file in messages (default: its path). */
  what?: string;
}

export async function readSmallFile(path: string, options: ReadSmallFileOptions): Promise<Uint8Array> {
  const what = options.what ?? path;
  const fail = (why: string, cause?: unknown) => airsignError(options.code, `${what}: ${why}`, { details: { path }, ...(cause === undefined ? {} : { cause }) });
  let handle;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; fstat below refuses it.
    handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    throw fail(fsErrorText(error), error);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw fail('not a regular file');
    if (info.size > options.maxBytes) throw fail(`larger than ${options.maxBytes} bytes`);
    // Read at most one byte past the limit: the file may grow after the fstat.
    const buffer = Buffer.alloc(Math.min(info.size, options.maxBytes) + 1);
    let done = 0;
    while (done < buffer.length) {
      const { bytesRead } = await handle.read(buffer, done, buffer.length - done, done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    if (done > options.maxBytes) throw fail(`larger than ${options.maxBytes} bytes`);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, done);
  } catch (error) {
    if ((error as { code?: unknown }).code === options.code) throw error;
    throw fail(fsErrorText(error), error);
  } finally {
    await handle.close();
  }
}
