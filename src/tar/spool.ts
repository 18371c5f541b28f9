/**
 * Turns a non-seekable tar source (stdin, a gzip-compressed tar) into a seekable temporary file.
 * buildx writes index.json after every blob, so nothing can be decided before the stream's end:
 * the whole (decompressed) tar is copied once to a private temp directory, with flat memory, and
 * removed by the returned cleanup. A stdin redirected from a regular uncompressed file is not
 * spooled at all (see open-layout).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { airsignError } from '../errors.js';
import { errnoOf, fsErrorText } from '../fs/fs-error-text.js';
import { spoolFolderPrefix, sweepStaleTemps, trackTemporary } from '../fs/temp-files.js';

export interface Spooled {
  path: string;
  cleanup(): Promise<void>;
}

export async function spoolToTempFile(source: Readable, options: { gunzip: boolean; what: string; onBytes?: (n: number) => void }): Promise<Spooled> {
  let dir: string;
  try {
    await sweepStaleTemps(tmpdir());
    dir = await mkdtemp(join(tmpdir(), spoolFolderPrefix()));
  } catch (error) {
    throw spoolError(error, options.what);
  }
  const path = join(dir, 'input.tar');
  // Registered so that an interrupted process removes it (the CLI's signal handler).
  const untrack = trackTemporary(dir);
  const cleanup = async () => {
    await rm(dir, { recursive: true, force: true });
    untrack();
  };
  try {
    const count = new Transform({
      transform(chunk: Buffer, _e, cb: TransformCallback) {
        options.onBytes?.(chunk.length);
        cb(null, chunk);
      },
    });
    const sink = createWriteStream(path, { flags: 'wx', mode: 0o600 });
    if (options.gunzip) await pipeline(source, count, createGunzip(), sink);
    else await pipeline(source, count, sink);
    return { path, cleanup };
  } catch (error) {
    await cleanup();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR' || code === 'ERR_ZLIB') {
      throw airsignError('GZIP_CORRUPT', `${options.what} is not a valid gzip stream (${(error as Error).message})`, { cause: error });
    }
    throw spoolError(error, options.what);
  }
}

/** A full (or unwritable) temp directory is bad input (exit 2), named in words, not an internal error. */
function spoolError(error: unknown, what: string): unknown {
  if (errnoOf(error) === undefined || (error as Error).name === 'AbortError') return error;
  return airsignError('OUTPUT_WRITE_FAILED', `cannot keep a temporary copy of ${what} in ${tmpdir()}: ${fsErrorText(error)} (set TMPDIR to a folder with room)`, {
    cause: error,
    details: { directory: tmpdir() },
  });
}

export function fileStream(path: string): Readable {
  return createReadStream(path, { highWaterMark: 1024 * 1024 });
}
