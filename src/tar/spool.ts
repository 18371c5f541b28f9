/**
 * Turns a non-seekable tar source (stdin, a gzip-compressed tar) into a seekable temporary file.
 * buildx writes index.json after every blob, so the layout cannot be read before the stream's end:
 * the (decompressed) tar is copied once to a private temp directory, with flat memory, and removed
 * by the returned cleanup. Each tar header is checked by the same rules as the indexer as it streams
 * past, so an input that is not a tar (`inspect - </dev/zero`) stops at its first invalid header
 * instead of filling $TMPDIR; copying stops at the end-of-archive marker. A stdin redirected from
 * a regular uncompressed file is not spooled at all (see open-layout).
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { airsignError, isAirsignError } from '../errors.js';
import { BLOCK } from './tar-header.js';
import { TarScanner, roundUp } from './tar-scanner.js';
import { errnoOf, fsErrorText } from '../fs/fs-error-text.js';
import { removePath } from '../fs/platform-fs.js';
import { spoolFolderPrefix, sweepStaleTemps, trackTemporary } from '../fs/temp-files.js';

export interface Spooled {
  path: string;
  cleanup(): Promise<void>;
}

export interface SpoolOptions {
  /** true: the source is gzip; 'auto': gunzip when it starts with the gzip magic. */
  gunzip: boolean | 'auto';
  what: string;
  /** Called with the size of every chunk read from the source (before decompression). */
  onBytes?: (n: number) => void;
}

export async function spoolToTempFile(source: Readable, options: SpoolOptions): Promise<Spooled> {
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
    await removePath(dir, undefined, { recursive: true });
    untrack();
  };
  let tar: Readable | undefined;
  try {
    const sink = await open(path, 'wx', 0o600);
    try {
      tar = await decompressed(source, options);
      const check = new TarStreamCheck(options.what);
      for await (const chunk of tar as AsyncIterable<Buffer>) {
        const keep = check.push(chunk);
        if (keep > 0) await sink.write(chunk, 0, keep);
        if (check.done) break;
      }
    } finally {
      await sink.close();
      // Stop reading: after the end-of-archive marker (or an error) nothing more is wanted.
      tar?.destroy();
      source.destroy();
    }
    return { path, cleanup };
  } catch (error) {
    await cleanup();
    const code = (error as NodeJS.ErrnoException).code;
    if (!isAirsignError(error) && (code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR' || code === 'ERR_ZLIB')) {
      throw airsignError('GZIP_CORRUPT', `${options.what} is not a valid gzip stream (${(error as Error).message})`, { cause: error });
    }
    throw spoolError(error, options.what);
  }
}

/** A full (or unwritable) temp directory is bad input (exit 2), named in words, not an internal error. */
function spoolError(error: unknown, what: string): unknown {
  if (isAirsignError(error) || errnoOf(error) === undefined || (error as Error).name === 'AbortError') return error;
  return airsignError('OUTPUT_WRITE_FAILED', `cannot keep a temporary copy of ${what} in ${tmpdir()}: ${fsErrorText(error)} (set TMPDIR to a folder with room)`, {
    cause: error,
    details: { directory: tmpdir() },
  });
}

/** The tar byte stream of `source`: counted, and gunzipped when asked (or, for 'auto', when it is gzip). */
async function decompressed(source: Readable, options: SpoolOptions): Promise<Readable> {
  const chunks = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const head: Buffer[] = [];
  let headBytes = 0;
  let ended = false;
  while (options.gunzip === 'auto' && headBytes < 2) {
    const next = await chunks.next();
    if (next.done) {
      ended = true;
      break;
    }
    options.onBytes?.(next.value.length);
    head.push(next.value);
    headBytes += next.value.length;
  }
  const onBytes = options.onBytes;
  const counted = Readable.from(
    (async function* () {
      yield* head;
      if (ended) return;
      for (;;) {
        const next = await chunks.next();
        if (next.done) return;
        onBytes?.(next.value.length);
        yield next.value;
      }
    })(),
    { objectMode: false },
  );
  const first = Buffer.concat(head);
  const gzip = options.gunzip === true || (options.gunzip === 'auto' && first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b);
  if (!gzip) return counted;
  // zlib is loaded here, on the first gzip input, not at start-up (it costs every run ~10 ms of CPU).
  const gunzip = process.getBuiltinModule('node:zlib').createGunzip({ chunkSize: 256 * 1024 });
  counted.on('error', (error) => gunzip.destroy(error));
  gunzip.on('close', () => counted.destroy());
  return counted.pipe(gunzip);
}

/**
 * Walks the tar headers of a byte stream as it arrives, with the indexer's rules: throws at the
 * first invalid header and reports, per chunk, how many of its bytes belong to the archive (all of
 * them until the end-of-archive marker, none after).
 */
export class TarStreamCheck {
  private readonly scanner: TarScanner;
  private position = 0;
  /** Bytes still to pass through unexamined (entry data and padding). */
  private skip = 0;
  /** Bytes being collected: a header block, meta data, or the block after a zero block. */
  private collect: { kind: 'header' | 'meta' | 'afterZero'; need: number; parts: Buffer[]; have: number; at: number; padding: number } | undefined;
  done = false;

  constructor(what: string) {
    this.scanner = new TarScanner(what);
    this.startHeader();
  }

  /** Feeds one chunk; returns how many of its leading bytes are part of the archive. */
  push(chunk: Buffer): number {
    let used = 0;
    while (used < chunk.length && !this.done) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - used);
        this.skip -= n;
        used += n;
        this.position += n;
        if (this.skip === 0) this.startHeader();
        continue;
      }
      const c = this.collect!;
      const n = Math.min(c.need - c.have, chunk.length - used);
      c.parts.push(chunk.subarray(used, used + n));
      c.have += n;
      used += n;
      this.position += n;
      if (c.have === c.need) this.complete(Buffer.concat(c.parts, c.need));
    }
    return used;
  }

  private startHeader(): void {
    this.collect = { kind: 'header', need: BLOCK, parts: [], have: 0, at: this.position, padding: 0 };
  }

  private complete(bytes: Buffer): void {
    const c = this.collect!;
    if (c.kind === 'afterZero') {
      this.scanner.afterZero(bytes, c.at);
      this.done = true;
      return;
    }
    if (c.kind === 'meta') {
      this.scanner.meta(bytes);
      this.skipThen(c.padding);
      return;
    }
    const step = this.scanner.header(bytes, c.at);
    if (step.kind === 'zero') {
      this.collect = { kind: 'afterZero', need: BLOCK, parts: [], have: 0, at: this.position, padding: 0 };
    } else if (step.kind === 'meta' && step.size > 0) {
      this.collect = { kind: 'meta', need: step.size, parts: [], have: 0, at: c.at, padding: roundUp(step.size) - step.size };
    } else {
      if (step.kind === 'meta') this.scanner.meta(new Uint8Array(0));
      this.skipThen(roundUp(step.size));
    }
  }

  private skipThen(bytes: number): void {
    this.collect = undefined;
    this.skip = bytes;
    if (bytes === 0) this.startHeader();
  }
}

export function fileStream(path: string): Readable {
  return createReadStream(path, { highWaterMark: 1024 * 1024 });
}
